import { addSeconds } from 'date-fns';
import { getTableColumns, sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { appendedValues, appendPreparedWhen, observeAppended } from '../src/audit/append.js';
import { sanitizeText } from '../src/audit/sanitize.js';
import { actedBy, systemActor } from '../src/audit/types.js';
import type { Clock } from '../src/clock.js';
import type { DbOrTx } from '../src/db/client.js';
import { preparedPerDb } from '../src/db/prepared.js';
import { decisions } from '../src/db/schema/decisions.js';
import { environments, type EnvironmentRow, type NewEnvironmentRow } from '../src/db/schema/environments.js';
import { newEnvId } from '../src/domain/ids.js';
import { parseEnvironmentName } from '../src/domain/environment-name.js';
import { ACTIVE_STATES } from '../src/domain/lifecycle.js';
import { checkQuota, checkRequestedTtl } from '../src/domain/policy.js';
import type { Preset } from '../src/domain/presets.js';
import type { Actor } from '../src/domain/actor.js';
import { userKey } from '../src/domain/users.js';
import { jobIds } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { chosenCloudKey, cloudKeyCandidate, storedKeyName } from './cloud-keys.js';
import { authorize } from './roles.js';
import { auditEnvironment, enqueueAfterCommit, environmentEntry, transition, type EnvironmentEntry } from './state-change.js';

export interface RequestInput {
  /** Who asks; the environment is their user's. */
  actor: Actor;
  channelId: string;
  presetId: string;
  ttlSeconds?: number;
  name?: string;
  requestId: string;
}

/**
 * Creates a plan. Presets that need approval wait for a decision (and expire after APPROVAL_TIMEOUT); presets without
 * approval are approved by policy in the same transaction and go straight to deploy.
 */
export async function requestEnvironment(s: Services, input: RequestInput): Promise<EnvironmentRow> {
  const preset = s.catalog.get(input.presetId);
  const ttlSeconds = input.ttlSeconds ?? preset.defaultTtlSeconds;
  checkRequestedTtl(ttlSeconds, preset, s.config.MIN_TTL);
  const name = input.name === undefined ? null : parseEnvironmentName(input.name);
  const requester = input.actor.user;
  await authorize(s, input.actor, 'change');

  const now = s.clock.now();
  const values = {
    id: newEnvId(),
    presetId: preset.id,
    name,
    platform: requester.platform,
    ownerId: requester.id,
    ownerName: sanitizeText(requester.name),
    requestChannelId: input.channelId,
    state: 'pending_approval',
    ttlSeconds,
    requestedAt: now,
    approvalDeadline: addSeconds(now, s.config.APPROVAL_TIMEOUT),
    updatedAt: now,
  } as const;
  const created: EnvironmentEntry = {
    eventType: 'plan.created',
    ...actedBy(input.actor, { preset: preset.id, ttl_seconds: ttlSeconds, name, approval: preset.approvalRequired ? 'required' : 'none' }),
    channelId: input.channelId,
    requestId: input.requestId,
  };
  // A plan that waits for approval is one statement, its own transaction.
  const rules = { clock: s.clock, maxActive: s.config.MAX_ACTIVE_PER_USER };
  const env = preset.approvalRequired
    ? await writePlan(s.db, rules, { preset, values, entry: created })
    : await s.db.transaction(async (tx) => {
        const plan = await writePlan(tx, rules, { preset, values, entry: created });
        const approved = await transition(s, tx, plan.id, 'pending_approval', 'approved');
        await tx.insert(decisions).values({ envId: plan.id, outcome: 'approved', reason: 'auto-approved by policy', decidedAt: now });
        await auditEnvironment(s, tx, approved!, {
          eventType: 'plan.approved',
          actor: systemActor('policy'),
          requestId: input.requestId,
          details: { reason: `preset ${preset.id} needs no approval` },
        });
        return approved!;
      });

  // Both jobs in one round of Redis calls: the card's notice, and the deploy or the approval's expiry. Their ids are
  // named after the new plan, so no job had them before.
  await enqueueAfterCommit(s, env.id, [
    () =>
      s.jobs.addMany(
        [
          { name: 'notify', payload: { envId: env.id, event: 'plan.created' }, options: { jobId: jobIds.notify(env.id, 'plan.created') } },
          env.state === 'approved'
            ? { name: 'deploy', payload: { envId: env.id }, options: { jobId: jobIds.deploy(env.id) } }
            : { name: 'approval-expire', payload: { envId: env.id }, options: { jobId: jobIds.approvalExpire(env.id), runAt: env.approvalDeadline } },
        ],
        { newIds: true },
      ),
  ]);
  return env;
}

type PlanValues = Omit<NewEnvironmentRow, 'cloudKeyId'> & Pick<EnvironmentRow, 'id' | 'platform' | 'ownerId'>;

/** A plan to write: its preset (which cloud key it deploys with), its row's values, and its `plan.created` entry. */
export interface NewPlan {
  preset: Pick<Preset, 'id' | 'cloudKey'>;
  values: PlanValues;
  entry: EnvironmentEntry;
}

/** How many ids a plan draws before giving up: with six characters of 32, a taken one is rare, two in a row rarer. */
const PLAN_ID_DRAWS = 5;

/**
 * The plan's row and its `plan.created` entry, in one statement that writes them only when the quota and the cloud
 * keys allow: it takes the owner's quota lock and counts their active labs once it is granted
 * (`quota_locked_active_count`, migration 0012), reads the cloud key the preset deploys with, and inserts the row
 * with that key and its entry when both allow. Outside a transaction it is a transaction of its own, so the lock is
 * held until the plan has committed, and one request of the owner at a time counts. When it wrote nothing, the refusal
 * is thrown from what it read, quota first, as the rules are checked; when nothing refused, the plan's id was taken
 * (ids are short enough to type, so two plans can draw the same one), and it is written again with a new one.
 */
export async function writePlan(db: DbOrTx, rules: { clock: Clock; maxActive: number }, plan: NewPlan): Promise<EnvironmentRow> {
  const started = performance.now();
  const { preset } = plan;
  const keyChoice = preset.cloudKey === undefined ? 'default' : 'named';
  const statement = db instanceof PgTransaction ? planStatement(db, keyChoice) : preparedPlansOf(db)[keyChoice];
  let values = plan.values;
  for (let draw = 1; draw <= PLAN_ID_DRAWS; draw += 1) {
    const owner = { platform: values.platform, id: values.ownerId };
    const [row] = await statement.execute(
      appendedValues(rules.clock, [environmentEntry(values, plan.entry)], {
        ...values,
        quotaLock: `quota:${userKey(owner)}`,
        maxActive: rules.maxActive,
        cloudKeyName: preset.cloudKey === undefined ? null : storedKeyName(preset.cloudKey),
      }),
    );
    if (row?.plan) {
      observeAppended(1, (performance.now() - started) / 1000);
      return row.plan;
    }
    if (!row) break;
    // Not written: the rules say why, from what the statement read; if neither refuses, the id was taken.
    checkQuota(row.active, rules.maxActive);
    chosenCloudKey(preset, row);
    values = { ...values, id: newEnvId() };
  }
  throw new Error(`the plan statement wrote no plan in ${PLAN_ID_DRAWS} tries, though neither the quota nor the cloud keys refused it`);
}

/** The columns a plan is written with, each a placeholder of its name but the cloud key, which the statement chooses. */
const PLAN_COLUMNS = [
  'id', 'presetId', 'name', 'platform', 'ownerId', 'ownerName', 'requestChannelId', 'state', 'ttlSeconds', 'requestedAt', 'approvalDeadline', 'updatedAt',
] as const satisfies readonly (keyof PlanValues)[];

/** Built by drizzle once per database handle for each way of choosing the key, and prepared by Postgres once per connection. */
const preparedPlansOf = preparedPerDb((db) => ({ named: planStatement(db, 'named'), default: planStatement(db, 'default') }));

function planStatement(db: DbOrTx, keyChoice: 'named' | 'default') {
  const placeholder = (name: string) => sql.placeholder(name);
  const counted = sql.join(ACTIVE_STATES.map((state) => sql`${state}`), sql`, `);
  const candidate = cloudKeyCandidate(keyChoice === 'named' ? sql`${placeholder('cloudKeyName')}` : undefined);
  const read = db.$with('read').as(
    db
      .select({
        active: sql<number>`quota_locked_active_count(${placeholder('quotaLock')}, ${placeholder('platform')}, ${placeholder('ownerId')}, array[${counted}]::text[])`.as('active'),
        keyId: candidate.keyId.as('key_id'),
        anyKey: candidate.anyKey.as('any_key'),
      })
      .from(sql`(select 1) as one`),
  );
  const keyAllowed = keyChoice === 'named' ? sql`${read.keyId} is not null` : sql`(${read.keyId} is not null or not ${read.anyKey})`;
  const columns = getTableColumns(environments);
  const names = sql.join([...PLAN_COLUMNS.map((key) => sql.identifier(columns[key].name)), sql.identifier(columns.cloudKeyId.name)], sql`, `);
  const row = sql.join([...PLAN_COLUMNS.map((key) => sql.param(placeholder(key), columns[key])), sql`${read.keyId}`], sql`, `);
  const inserted = db.$with('inserted', columns).as(
    sql`insert into ${environments} (${names}) select ${row} from ${read} where ${read.active} < ${placeholder('maxActive')} and ${keyAllowed}
      on conflict (${sql.identifier(columns.id.name)}) do nothing returning *`,
  );
  const audit = db.$with('audit', {}).as(appendPreparedWhen(1, sql`exists (select 1 from ${inserted})`));
  type PlanColumn = keyof typeof columns;
  const plan = Object.fromEntries(Object.keys(columns).map((key) => [key, inserted[key as PlanColumn]])) as { [K in PlanColumn]: (typeof inserted)[K] };
  return db
    .with(read, inserted, audit)
    .select({ active: read.active, keyId: read.keyId, anyKey: read.anyKey, plan })
    .from(read)
    .leftJoin(inserted, sql`true`)
    .prepare(`plan_${keyChoice}_key`);
}
