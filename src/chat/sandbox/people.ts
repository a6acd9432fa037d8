import type { Role } from '../../domain/users.js';

/**
 * The people of the sandbox: simulated users, one per part of the journey. Whoever is at the keyboard picks who they
 * are; the roles are granted at start-up like the ADMINS and APPROVERS of a real workspace.
 */
export interface SandboxPerson {
  id: string;
  name: string;
  role: Role;
  /** What they are there to do, for the picker. */
  part: string;
}

export const SANDBOX_PEOPLE: readonly SandboxPerson[] = [
  { id: 'alice', name: 'alice', role: 'member', part: 'requester' },
  { id: 'bob', name: 'bob', role: 'member', part: 'second member' },
  { id: 'carol', name: 'carol', role: 'approver', part: 'approver' },
  { id: 'dave', name: 'dave', role: 'admin', part: 'admin' },
];

/** The bot's own name in the sandbox. */
export const SANDBOX_BOT_NAME = 'aithroyz';

/** The roles the sandbox grants at start-up: everyone is in the team, whatever WORKSPACE_ACCESS says. */
export const SANDBOX_ROLES = SANDBOX_PEOPLE.map((person) => ({ key: `sandbox:${person.id}`, role: person.role }));
