// Types of serve-fake.mjs for the TypeScript that imports it outside vitest (the browser tests).
export function serveFake(fake: {
  handle(request: Request): Promise<Response>;
}): Promise<{ url: string; close(): Promise<void> }>;
