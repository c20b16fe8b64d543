import type { ReserveResult } from '../../core/state-store.ts';
import type { DeploymentReservation, PreparedReservation } from '../../limits/deployment-limiter.ts';
import type { GroupPlan } from '../../routing/plan-group.ts';
import type { DeploymentRoute, GroupRoute } from '../../routing/routing-table.ts';

/** Puts a group's round-robin position back to `position` (undefined: none was taken yet). */
export function setRotation(
  rotations: Map<string, number>,
  group: string,
  position: number | undefined,
): void {
  if (position === undefined) rotations.delete(group);
  else rotations.set(group, position);
}

/** Two reads of the same health keys hold the same values. */
function sameValues(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index += 1) if (a[index] !== b[index]) return false;
  return true;
}

/**
 * A plan of the requested group made before its admission, from the health values this process
 * read last, and the reservation of its first candidate's deployment limits, sent inside the
 * admission's state-store call (docs/decisions/0031): one round trip before the upstream instead
 * of two. After the admission the plan stands when the admission read the same health values and
 * no unhealthy deployment has come due since (the plan is then what planning now would give, a
 * round trip earlier); otherwise the group is planned again, and the reservation is kept only when
 * the new plan starts with the same deployment, else given back.
 */
export class AheadPlan {
  readonly group: GroupRoute;
  readonly plan: GroupPlan;
  /** The deployment reserved: the plan's first candidate's. */
  readonly deployment: DeploymentRoute;
  readonly prepared: PreparedReservation;
  private readonly healthValues: readonly (string | undefined)[];
  private readonly rotations: Map<string, number>;
  /** The group's round-robin position before and after the plan (its one side effect). */
  private readonly rotationBefore: number | undefined;
  private readonly rotationAfter: number | undefined;
  /** The store's answer to `prepared.request`. */
  private result: ReserveResult | undefined;
  /** Taken by an attempt, or given back: each at most once. */
  private settled = false;

  constructor(
    group: GroupRoute,
    plan: GroupPlan,
    deployment: DeploymentRoute,
    prepared: PreparedReservation,
    healthValues: readonly (string | undefined)[],
    rotations: Map<string, number>,
    rotationBefore: number | undefined,
  ) {
    this.group = group;
    this.plan = plan;
    this.deployment = deployment;
    this.prepared = prepared;
    this.healthValues = healthValues;
    this.rotations = rotations;
    this.rotationBefore = rotationBefore;
    this.rotationAfter = rotations.get(group.name);
  }

  /** The admission's answer to the reservation (undefined: none came, nothing was reserved). */
  admitted(result: ReserveResult | undefined): void {
    this.result = result;
  }

  /** Whether the plan is what planning with `values` at `now` gives. */
  stands(values: readonly (string | undefined)[], now: number): boolean {
    return now < this.plan.freeAt && sameValues(values, this.healthValues);
  }

  /**
   * The admission was refused, or the plan does not stand and the group is planned again: the
   * round-robin position moves back (unless another request moved it since), so that the plan
   * that counts takes the same turn.
   */
  rewind(): void {
    const { rotations, group } = this;
    if (rotations.get(group.name) === this.rotationAfter)
      setRotation(rotations, group.name, this.rotationBefore);
  }

  /**
   * The reservation of `deployment`'s attempt, once: undefined when it is another deployment's, was
   * taken or given back, or was never made (the attempt then reserves on its own).
   */
  take(deployment: DeploymentRoute): DeploymentReservation | undefined {
    if (this.settled || deployment !== this.deployment) return undefined;
    this.settled = true;
    return this.result === undefined ? undefined : this.prepared.outcome(this.result);
  }

  /** Gives back a granted reservation no attempt took (the plan changed, or the request ended first). */
  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.result?.granted === true) this.prepared.cancel();
  }
}
