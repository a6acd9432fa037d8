import { describe, expect, it } from 'vitest';
import {
  checkInvitationAnswer, checkTeamChange, notInTeam, standingOf, type InvitationFacts, type TeamChange, type TeamChangeFacts,
} from '../../src/domain/team.js';
import { AppError, outcomeOf } from '../../src/errors.js';

const adam = { platform: 'slack', id: 'U0ADAM', name: 'adam' } as const;
const bob = { platform: 'slack', id: 'U0BOB', name: 'bob' } as const;
const removedAt = new Date('2026-12-01T10:00:00Z');

function facts(overrides: Partial<TeamChangeFacts> = {}): TeamChangeFacts {
  return {
    actor: adam,
    actorRole: 'admin',
    target: bob,
    targetStanding: { kind: 'member', role: 'member', hasRow: true },
    targetIsConfiguredAdmin: false,
    activeAdmins: 2,
    ...overrides,
  };
}

function refusal(change: TeamChange, given: TeamChangeFacts): AppError {
  try {
    checkTeamChange(change, given);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`expected ${change.kind} to be refused`);
}

const INVITE: TeamChange = { kind: 'invite', role: 'approver' };
const PROMOTE: TeamChange = { kind: 'role', role: 'approver' };
const DEMOTE: TeamChange = { kind: 'role', role: 'member' };
const REMOVE: TeamChange = { kind: 'remove' };

describe('standing in the team', () => {
  it('makes everyone without a row a member in open mode, and nobody in invite mode', () => {
    expect(standingOf(undefined, 'open')).toEqual({ kind: 'member', role: 'member', hasRow: false });
    expect(standingOf(undefined, 'invite')).toEqual({ kind: 'outsider' });
  });

  it('reads a row as its role, or as removed in either mode', () => {
    expect(standingOf({ role: 'approver', removedAt: null, removedBy: null }, 'invite')).toEqual({ kind: 'member', role: 'approver', hasRow: true });
    for (const mode of ['open', 'invite'] as const) {
      expect(standingOf({ role: 'admin', removedAt, removedBy: 'slack:U0ADAM' }, mode)).toEqual({ kind: 'removed', removedAt });
    }
  });

  it('answers someone not in the team with one refusal, denied, naming who can add them back', () => {
    const removed = notInTeam({ kind: 'removed', removedAt }, ['<@U0ADAM|adam>']);
    expect(removed.code).toBe('not_in_team');
    expect(outcomeOf(removed)).toBe('denied');
    expect(removed.message).toContain('You were removed from the team on 2026-12-01 10:00 UTC');
    expect(removed.hint).toContain('<@U0ADAM|adam>');
    expect(removed.hint).toContain('/team invite');
    const outsider = notInTeam({ kind: 'outsider' }, []);
    expect(outsider.message).toContain('invited people only');
    expect(outsider.hint).toContain('ADMINS');
  });
});

describe('team changes', () => {
  it('lets an admin invite, change a role and remove', () => {
    expect(() => checkTeamChange(INVITE, facts())).not.toThrow();
    expect(() => checkTeamChange(PROMOTE, facts())).not.toThrow();
    expect(() => checkTeamChange(REMOVE, facts())).not.toThrow();
    // A removed person comes back by invitation; in open mode anyone without a row gets a role directly.
    expect(() => checkTeamChange(INVITE, facts({ targetStanding: { kind: 'removed', removedAt } }))).not.toThrow();
    expect(() => checkTeamChange(PROMOTE, facts({ targetStanding: { kind: 'member', role: 'member', hasRow: false } }))).not.toThrow();
    expect(() => checkTeamChange(INVITE, facts({ targetStanding: { kind: 'outsider' } }))).not.toThrow();
  });

  it('refuses everyone but admins, as denied', () => {
    for (const actorRole of ['member', 'approver'] as const) {
      for (const change of [INVITE, PROMOTE, REMOVE]) {
        const error = refusal(change, facts({ actorRole }));
        expect(error.code).toBe('forbidden');
        expect(outcomeOf(error)).toBe('denied');
      }
    }
  });

  it('refuses an admin changing their own place', () => {
    const self = facts({ target: { ...adam }, targetStanding: { kind: 'member', role: 'admin', hasRow: true } });
    expect(refusal(DEMOTE, self).message).toContain('your own role');
    expect(refusal(REMOVE, self).message).toContain('remove yourself');
    expect(refusal(INVITE, self).code).toBe('own_membership');
    expect(outcomeOf(refusal(REMOVE, self))).toBe('denied');
  });

  it('leaves the admins of the configuration to the configuration', () => {
    const configured = facts({ targetIsConfiguredAdmin: true, targetStanding: { kind: 'member', role: 'admin', hasRow: true } });
    for (const change of [DEMOTE, REMOVE, INVITE]) {
      const error = refusal(change, configured);
      expect(error.code).toBe('configured_admin');
      expect(error.message).toContain('the configuration decides');
      expect(outcomeOf(error)).toBe('denied');
    }
  });

  it('never leaves a platform without an admin', () => {
    const lastAdmin = facts({ targetStanding: { kind: 'member', role: 'admin', hasRow: true }, activeAdmins: 1 });
    for (const change of [DEMOTE, { kind: 'role', role: 'approver' } as const, REMOVE]) {
      const error = refusal(change, lastAdmin);
      expect(error.code).toBe('last_admin');
      expect(outcomeOf(error)).toBe('denied');
    }
    expect(() => checkTeamChange(DEMOTE, { ...lastAdmin, activeAdmins: 2 })).not.toThrow();
  });

  it('refuses what makes no sense, as invalid: the role they have, a removed or absent person', () => {
    const approver = facts({ targetStanding: { kind: 'member', role: 'approver', hasRow: true } });
    expect(refusal(INVITE, approver).code).toBe('same_role');
    expect(refusal(PROMOTE, approver).message).toContain('already is approver');
    // In open mode everyone is a member already: an invitation to be a member changes nothing.
    expect(refusal({ kind: 'invite', role: 'member' }, facts({ targetStanding: { kind: 'member', role: 'member', hasRow: false } })).code).toBe('same_role');
    const removed = facts({ targetStanding: { kind: 'removed', removedAt } });
    expect(refusal(PROMOTE, removed).code).toBe('removed_member');
    expect(refusal(PROMOTE, removed).hint).toContain('/team invite');
    expect(refusal(REMOVE, removed).code).toBe('already_removed');
    const outsider = facts({ targetStanding: { kind: 'outsider' } });
    const inviteFirst = refusal(PROMOTE, outsider);
    expect(inviteFirst.code).toBe('invite_first');
    expect(inviteFirst.message).toContain('invite them first');
    expect(refusal(REMOVE, outsider).code).toBe('not_a_member');
    for (const error of [refusal(INVITE, approver), inviteFirst, refusal(REMOVE, removed)]) expect(outcomeOf(error)).toBe('invalid');
  });
});

describe('answers to an invitation', () => {
  const expiresAt = new Date('2026-12-08T12:00:00Z');
  const pending: InvitationFacts = { id: 'inv-abcdefghij', inviteeId: bob.id, inviteeName: 'bob', platform: 'slack', state: 'pending', expiresAt, answeredAt: null };
  const before = new Date(expiresAt.getTime() - 1000);

  it('takes the invitee’s answer before the expiry', () => {
    expect(() => checkInvitationAnswer(pending, bob, before)).not.toThrow();
  });

  it('refuses anyone else, the same id on another platform included, as denied', () => {
    for (const user of [adam, { platform: 'mattermost', id: bob.id } as const]) {
      const error = (() => {
        try {
          checkInvitationAnswer(pending, user, before);
        } catch (caught) {
          return caught as AppError;
        }
        throw new Error('expected a refusal');
      })();
      expect(error.code).toBe('not_invitee');
      expect(error.message).toContain('for @bob');
      expect(outcomeOf(error)).toBe('denied');
    }
  });

  it('refuses a second answer, and any answer at or after the expiry, saying how it ended', () => {
    const cases: [InvitationFacts, Date, string, RegExp][] = [
      [{ ...pending, state: 'accepted', answeredAt: before }, before, 'invitation_closed', /already accepted/],
      [{ ...pending, state: 'declined', answeredAt: before }, before, 'invitation_closed', /already declined/],
      [{ ...pending, state: 'replaced', answeredAt: before }, before, 'invitation_closed', /replaced by a newer one/],
      [{ ...pending, state: 'withdrawn', answeredAt: before }, before, 'invitation_closed', /withdrawn: you were removed/],
      [{ ...pending, state: 'expired', answeredAt: expiresAt }, before, 'invitation_closed', /expired on 2026-12-08 12:00 UTC/],
      [pending, expiresAt, 'invitation_expired', /expired on 2026-12-08 12:00 UTC/],
    ];
    for (const [invitation, now, code, message] of cases) {
      try {
        checkInvitationAnswer(invitation, bob, now);
        throw new Error(`expected ${invitation.state} to be refused`);
      } catch (error) {
        expect((error as AppError).code).toBe(code);
        expect((error as AppError).message).toMatch(message);
        expect(outcomeOf(error)).toBe('invalid');
      }
    }
  });
});
