import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ChatUser, ChatWorld } from '../fakes/chat-world.js';

/** What the console's browser journeys share: a sign-in link from a chat DM, and signing in with it. */

/** Types `/env console` in the chat and returns the path of the link the DM brings. */
export async function signInLink(world: ChatWorld, user: ChatUser): Promise<string> {
  const before = world.driver.dms(user).length;
  const sent = await world.driver.command(user, '/env console');
  expect(sent.reply?.text ?? '').toContain('sign-in link');
  const dm = await world.driver.waitFor(() => world.driver.dms(user).slice(before).find((message) => message.text.includes('/sign-in/')));
  const match = /https?:\/\/[^\s>|)]+(\/sign-in\/[A-Za-z0-9_-]+)/.exec(dm.text);
  expect(match, dm.text).not.toBeNull();
  expect(match![0].startsWith(world.appUrl)).toBe(true);
  return match![1]!;
}

/** Opens a sign-in link and presses Continue: the console then shows the Labs page. */
export async function continueSignIn(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL('**/labs');
}

/** Signs `user` in from a fresh DM link. */
export async function signInAs(page: Page, world: ChatWorld, user: ChatUser): Promise<void> {
  await continueSignIn(page, await signInLink(world, user));
}

/** What went wrong in a page, but the browser's note of a refusal the test asked for. */
export function unexpected(problems: string[], status: number): string[] {
  return problems.filter((line) => !line.includes(`status of ${status} `));
}
