export async function runScheduled(_cron: string, _env: Env, _now: Date): Promise<void> {}
