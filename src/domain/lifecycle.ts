import { AppError } from '../errors.js';

/** Every state an environment can be in, in lifecycle order. */
export const ENV_STATES = [
  'pending_approval',
  'approved',
  'deploying',
  'running',
  'destroying',
  'destroyed',
  'rejected',
  'approval_expired',
  'deploy_failed',
  'destroy_failed',
] as const;

export type EnvState = (typeof ENV_STATES)[number];

/**
 * Every allowed transition, in one place. The workflows only change state through `assertTransition` and a conditional
 * UPDATE ... WHERE state = <from>, so a transition not listed here cannot happen.
 *
 * - deploying → destroying: a deploy that failed after its retries cleans up what it left behind (ends `deploy_failed`).
 * - destroying → destroying is not a transition: a retried destroy keeps the state.
 * - destroy_failed → destroying: an admin or the reconciler tries again.
 */
export const TRANSITIONS: Readonly<Record<EnvState, readonly EnvState[]>> = {
  pending_approval: ['approved', 'rejected', 'approval_expired'],
  approved: ['deploying'],
  deploying: ['running', 'destroying', 'deploy_failed'],
  running: ['destroying'],
  destroying: ['destroyed', 'deploy_failed', 'destroy_failed'],
  destroyed: [],
  rejected: [],
  approval_expired: [],
  deploy_failed: [],
  destroy_failed: ['destroying'],
};

/** States that end the lifecycle: nothing runs, nothing will. */
export const TERMINAL_STATES: readonly EnvState[] = ['destroyed', 'rejected', 'approval_expired', 'deploy_failed'];

/** States that count against a user's quota: anything that holds or will hold cloud resources. */
export const ACTIVE_STATES: readonly EnvState[] = [
  'pending_approval', 'approved', 'deploying', 'running', 'destroying', 'destroy_failed',
];

export function canTransition(from: EnvState, to: EnvState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: EnvState, to: EnvState): void {
  if (!canTransition(from, to)) {
    throw new AppError('invalid_transition', `An environment that is ${describeState(from)} cannot become ${describeState(to)}.`);
  }
}

export function isTerminal(state: EnvState): boolean {
  return TERMINAL_STATES.includes(state);
}

export function isActive(state: EnvState): boolean {
  return ACTIVE_STATES.includes(state);
}

/** Words users see for a state. */
export function describeState(state: EnvState): string {
  return state.replace(/_/g, ' ');
}
