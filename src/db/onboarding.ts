import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { OnboardingState, Vendor } from "../contracts/catalog";
import type { Onboarding, OnboardingStep } from "../contracts/onboarding";
import { missingEssentials } from "../domain/onboarding";
import type { Db } from "./client";
import { uniqueViolation } from "./constraints";
import { type After, afterKey, keyOrder, toPage } from "./paging";
import {
  apiTokens,
  skus,
  vendorAccounts,
  vendorInvites,
  vendorOnboarding,
  vendorSignInLinks,
  vendors,
  warehouses,
} from "./schema";

export type InviteRow = typeof vendorInvites.$inferSelect;
export type SignInLinkRow = typeof vendorSignInLinks.$inferSelect;
/** A vendor session token as stored: only its hash. */
export type SessionRow = { id: string; tokenHash: string; vendorId: string; createdAt: string; expiresAt: string };

/**
 * Writes the invite and, in the same batch, expires the address's earlier ones not yet opened: ops
 * invite again when a link went astray, and the stray one must not claim the address first.
 */
export async function replaceInvites(db: Db, invite: typeof vendorInvites.$inferInsert) {
  await db.batch([
    db
      .update(vendorInvites)
      .set({ expiresAt: invite.createdAt })
      .where(
        and(
          eq(vendorInvites.email, invite.email),
          isNull(vendorInvites.consumedAt),
          gt(vendorInvites.expiresAt, invite.createdAt),
        ),
      ),
    db.insert(vendorInvites).values(invite),
  ]);
}

export async function findInvite(db: Db, tokenHash: string): Promise<InviteRow | null> {
  return (await db.select().from(vendorInvites).where(eq(vendorInvites.tokenHash, tokenHash)).get()) ?? null;
}

export async function findAccount(db: Db, email: string): Promise<{ vendorId: string } | null> {
  return (
    (await db
      .select({ vendorId: vendorAccounts.vendorId })
      .from(vendorAccounts)
      .where(eq(vendorAccounts.email, email))
      .get()) ?? null
  );
}

const sessionInsert = (db: Db, s: SessionRow) =>
  db.insert(apiTokens).values({ ...s, role: "vendor" as const, customerId: null, revokedAt: null });

/**
 * Consumes the invite and creates its vendor (a draft), account, wizard progress and first session
 * in one batch. The session's id is derived from the invite's, and an account's address is
 * unique: of two acceptances racing past the read, the second breaks a constraint and writes nothing.
 */
export async function acceptInvite(
  db: Db,
  input: { invite: InviteRow; vendor: Vendor; session: SessionRow; at: string; step: OnboardingStep },
): Promise<{ ok: true } | { ok: false; code: "USED" | "ACCOUNT_EXISTS" }> {
  const { invite, vendor, session, at } = input;
  try {
    await db.batch([
      db.insert(vendors).values(vendor),
      db
        .update(vendorInvites)
        .set({ consumedAt: at, vendorId: vendor.id })
        .where(and(eq(vendorInvites.id, invite.id), isNull(vendorInvites.consumedAt))),
      // Before the account: a second opening of this invite breaks the session's key first and is
      // told the invite was used, not that its own address already has an account.
      sessionInsert(db, session),
      db.insert(vendorAccounts).values({ vendorId: vendor.id, email: invite.email, createdAt: at }),
      db.insert(vendorOnboarding).values({ vendorId: vendor.id, step: input.step, updatedAt: at }),
    ]);
    return { ok: true };
  } catch (err) {
    const v = uniqueViolation(err);
    if (v?.table === "api_tokens") return { ok: false, code: "USED" };
    if (v?.table === "vendor_accounts") return { ok: false, code: "ACCOUNT_EXISTS" };
    throw err;
  }
}

export async function insertSignInLink(db: Db, link: SignInLinkRow) {
  await db.insert(vendorSignInLinks).values(link);
}

export async function findSignInLink(db: Db, tokenHash: string): Promise<SignInLinkRow | null> {
  return (await db.select().from(vendorSignInLinks).where(eq(vendorSignInLinks.tokenHash, tokenHash)).get()) ?? null;
}

/** Consumes the link and opens its session; as with invites, the session id makes a second redemption fail whole. */
export async function redeemSignInLink(
  db: Db,
  input: { link: SignInLinkRow; session: SessionRow; at: string },
): Promise<{ ok: true } | { ok: false; code: "USED" }> {
  try {
    await db.batch([
      db
        .update(vendorSignInLinks)
        .set({ consumedAt: input.at })
        .where(and(eq(vendorSignInLinks.id, input.link.id), isNull(vendorSignInLinks.consumedAt))),
      sessionInsert(db, input.session),
    ]);
    return { ok: true };
  } catch (err) {
    if (uniqueViolation(err)?.table === "api_tokens") return { ok: false, code: "USED" };
    throw err;
  }
}

const warehouseCount = sql<number>`(select count(*) from ${warehouses} where ${warehouses.vendorId} = ${vendors.id} and ${warehouses.status} = 'active')`;
const productCount = sql<number>`(select count(*) from ${skus} where ${skus.vendorId} = ${vendors.id} and ${skus.status} = 'active')`;

const viewColumns = {
  vendorId: vendors.id,
  email: vendorAccounts.email,
  name: vendors.name,
  contactEmail: vendors.contactEmail,
  contactPhone: vendors.contactPhone,
  payoutAccountId: vendors.payoutAccountId,
  state: vendors.onboarding,
  step: vendorOnboarding.step,
  warehouses: warehouseCount.mapWith(Number),
  products: productCount.mapWith(Number),
  submittedAt: vendorOnboarding.submittedAt,
  decidedAt: vendorOnboarding.decidedAt,
  rejectReason: vendorOnboarding.rejectReason,
};

type ViewRow = Omit<Onboarding, "missing" | "step"> & { step: string };

function toView(r: ViewRow): Onboarding {
  return { ...r, step: r.step as OnboardingStep, missing: missingEssentials(r) };
}

const viewQuery = (db: Db) =>
  db
    .select(viewColumns)
    .from(vendorOnboarding)
    .innerJoin(vendors, eq(vendors.id, vendorOnboarding.vendorId))
    .leftJoin(vendorAccounts, eq(vendorAccounts.vendorId, vendors.id));

/** The vendor's onboarding as the wizard and ops see it; null for a vendor that never onboarded. */
export async function findOnboarding(db: Db, vendorId: string): Promise<Onboarding | null> {
  const row = await viewQuery(db).where(eq(vendors.id, vendorId)).get();
  return row ? toView(row) : null;
}

/** Onboarding vendors by name, then id, in the given state when one is named. */
export async function listOnboarding(db: Db, q: { limit: number; after: After | undefined; state?: OnboardingState }) {
  const rows = await viewQuery(db)
    .where(and(q.state ? eq(vendors.onboarding, q.state) : undefined, afterKey(vendors.name, vendors.id, q.after)))
    .orderBy(...keyOrder(vendors.name, vendors.id))
    .limit(q.limit + 1)
    .all();
  return toPage(rows, q.limit, (r) => ({ key: r.name, id: r.vendorId }), toView);
}

/**
 * Saves one step: the vendor's own fields, if the step has any, and where the wizard resumes. Only
 * while the vendor is still a draft or was sent back: once submitted it waits for ops unchanged.
 */
export async function saveStep(
  db: Db,
  input: {
    vendorId: string;
    fields: Partial<Pick<Vendor, "name" | "contactEmail" | "contactPhone">>;
    resumeAt: OnboardingStep;
    at: string;
  },
): Promise<boolean> {
  const editable = and(eq(vendors.id, input.vendorId), inArray(vendors.onboarding, ["draft", "rejected"]));
  const progress = db
    .update(vendorOnboarding)
    .set({ step: input.resumeAt, updatedAt: input.at })
    .where(
      and(
        eq(vendorOnboarding.vendorId, input.vendorId),
        inArray(vendorOnboarding.vendorId, db.select({ id: vendors.id }).from(vendors).where(editable)),
      ),
    )
    .returning({ vendorId: vendorOnboarding.vendorId });
  if (Object.keys(input.fields).length === 0) return (await progress.all()).length > 0;
  const [, saved] = await db.batch([db.update(vendors).set(input.fields).where(editable), progress]);
  return saved.length > 0;
}

/** `missingEssentials` as a condition on the vendor's row: a name, a contact address, an active warehouse. */
const hasEssentials = and(
  sql`trim(${vendors.name}) <> ''`,
  sql`coalesce(${vendors.contactEmail}, '') <> ''`,
  sql`exists (select 1 from ${warehouses} where ${warehouses.vendorId} = ${vendors.id} and ${warehouses.status} = 'active')`,
);

/**
 * Moves the vendor from one of `from` to `to` with the wizard's bookkeeping; false if it was
 * elsewhere, or, with `essentials`, lacks one of them. The essentials are checked by the write
 * itself: a warehouse deactivated (or a contact cleared) after the caller read them stops the move.
 */
export async function moveOnboarding(
  db: Db,
  input: {
    vendorId: string;
    from: OnboardingState[];
    to: OnboardingState;
    progress: Partial<
      Pick<typeof vendorOnboarding.$inferInsert, "submittedAt" | "decidedAt" | "rejectReason" | "step">
    >;
    at: string;
    essentials?: boolean;
  },
): Promise<boolean> {
  const movable = and(
    eq(vendors.id, input.vendorId),
    inArray(vendors.onboarding, input.from),
    input.essentials ? hasEssentials : undefined,
  );
  // The bookkeeping first, under the same condition the move then checks: both see the state before.
  const [, moved] = await db.batch([
    db
      .update(vendorOnboarding)
      .set({ ...input.progress, updatedAt: input.at })
      .where(
        and(
          eq(vendorOnboarding.vendorId, input.vendorId),
          inArray(vendorOnboarding.vendorId, db.select({ id: vendors.id }).from(vendors).where(movable)),
        ),
      ),
    db.update(vendors).set({ onboarding: input.to }).where(movable).returning({ id: vendors.id }),
  ]);
  return moved.length > 0;
}
