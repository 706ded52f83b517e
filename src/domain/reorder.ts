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
  const sold = i.windowDays > 0 ? Math.max(0, i.unitsSold) : 0;
  const velocityPerDayX100 = sold > 0 ? Math.round((sold * 100) / i.windowDays) : 0;
  if (sold <= 0) return { velocityPerDayX100, quantity: 0, runOutDate: null, orderBy: null };
  const available = Math.max(0, i.available);
  // Whole-number arithmetic: units / (sold / window) as a float puts 36 sold over 28 days at 28
  // units for 21 days, not 27, and runs a stock out a day early.
  const daysLeft = daysOfCover(available, sold, i.windowDays) ?? 0;
  const quantity = Math.max(0, Math.ceil((sold * (i.leadTimeDays + i.coverDays)) / i.windowDays) - available);
  if (daysLeft > HORIZON_DAYS) return { velocityPerDayX100, quantity, runOutDate: null, orderBy: null };
  return {
    velocityPerDayX100,
    quantity,
    runOutDate: addDays(i.today, daysLeft),
    orderBy: addDays(i.today, Math.max(0, daysLeft - i.leadTimeDays)),
  };
}

/**
 * Whole days the units last at the window's rate of sale (null with no sales), in whole numbers:
 * as floats, 23 available at 23 sold over 30 days came to 29.
 */
export function daysOfCover(available: number, unitsSold: number, windowDays: number): number | null {
  return unitsSold > 0 ? Math.floor((Math.max(0, available) * windowDays) / unitsSold) : null;
}
