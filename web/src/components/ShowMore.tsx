import type { Loadable } from "../use-api";

/**
 * "Show more" under a list read as its first rows (`leadingRows` in api.ts): asks for `step` rows
 * more than it has, and waits while a read is on its way. Nothing once the list has no more.
 */
export function ShowMore({
  list,
  step,
  show,
}: {
  list: Loadable<{ items: readonly unknown[]; nextCursor: string | null }>;
  step: number;
  show: (rows: number) => void;
}) {
  if (!list.data?.nextCursor) return null;
  const shown = list.data.items.length;
  return (
    <button type="button" className="button" disabled={list.loading} onClick={() => show(shown + step)}>
      Show more
    </button>
  );
}
