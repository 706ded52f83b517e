import { it } from "vitest";
it("timer", async () => {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 2e7; i++) x += Math.sqrt(i);
  const t1 = performance.now();
  await new Promise((r) => setTimeout(r, 0));
  const t2 = performance.now();
  await scheduler.wait(0);
  const t3 = performance.now();
  console.log("probe", x > 0, t1 - t0, t2 - t0, t3 - t0, Date.now());
});
