import { transcriptLines, type TranscriptEntry } from '../../src/chat/memory/transcript.js';

/**
 * What people did, noted where it happened in a platform's timeline, and the one way both drivers turn the two into a
 * transcript (the same format the in-memory chat prints).
 */
export class ActionNotes {
  private readonly notes: { afterEvents: number; line: string }[] = [];

  /** Notes an action after the first `eventsSoFar` events of the timeline. */
  note(line: string, eventsSoFar: number): void {
    this.notes.push({ afterEvents: eventsSoFar, line });
  }

  /** The timeline's events, each described, with the actions in their places. */
  transcript<E>(timeline: readonly E[], describe: (event: E) => TranscriptEntry): string[] {
    const entries: TranscriptEntry[] = [];
    let next = 0;
    for (let index = 0; index <= timeline.length; index += 1) {
      while (next < this.notes.length && this.notes[next]!.afterEvents === index) entries.push({ kind: 'acted', line: this.notes[next++]!.line });
      if (index < timeline.length) entries.push(describe(timeline[index]!));
    }
    return transcriptLines(entries);
  }
}
