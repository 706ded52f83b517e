import { addDays } from "./local-day";

/**
 * Reorder suggestions from sales velocity and lead time. Velocity is units sold over the window /
 * the window's days. An order placed today arrives after the lead time and should then cover
 * `coverDays` more: quantity = ceil(velocity × (lead time + cover)) − available, never below 0.
 * Stock runs out after available / velocity days; it must be ordered a lead time before that.
 */
export type ReorderInput = {
  available: number;
  unitsSold: number;
  windowDays: number;
  leadTimeDays: number;
  coverDays: number;
  today: string;
};

/**
 * Stock lasting longer than this has no run-out day worth naming: nothing to order, and a huge
 * count at a trickle of sales would reach days past year 9999, which have no date to show.
 */
export const HORIZON_DAYS = 3_650;

export function suggestReorder(i: ReorderInput) {
  const velocity = i.windowDays > 0 ? i.unitsSold / i.windowDays : 0;
  const velocityPerDayX100 = Math.round(velocity * 100);
  if (velocity <= 0) return { velocityPerDayX100, quantity: 0, runOutDate: null, orderBy: null };
  const daysLeft = Math.max(0, Math.floor(Math.max(0, i.available) / velocity));
  const quantity = Math.max(0, Math.ceil(velocity * (i.leadTimeDays + i.coverDays)) - Math.max(0, i.available));
  if (daysLeft > HORIZON_DAYS) return { velocityPerDayX100, quantity, runOutDate: null, orderBy: null };
  return {
    velocityPerDayX100,
    quantity,
    runOutDate: addDays(i.today, daysLeft),
    orderBy: addDays(i.today, Math.max(0, daysLeft - i.leadTimeDays)),
  };
}
