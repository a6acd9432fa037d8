import type { Role } from '../../src/domain/users.js';
import { mention, type View } from '../view.js';

export interface RoleChangedInput {
  target: { id: string; name?: string };
  previous: Role;
  role: Role;
}

/** After `/env role`: who has which role now, and what it was. */
export function roleChangedView(input: RoleChangedInput): View {
  const who = mention({ id: input.target.id, name: input.target.name ?? input.target.id });
  const text =
    input.previous === input.role
      ? `${who} already was ${input.role}; nothing changed.`
      : `${who} is now ${input.role} (was ${input.previous}).`;
  return { text, tone: 'good', blocks: [{ kind: 'text', text }] };
}
