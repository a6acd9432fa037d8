import type { View } from '../view.js';

/** `/audit export` accepted: which entries are coming (the filters, described) and where. */
export function exportStartedView(filtersDescription: string): View {
  const heading = 'Preparing your export…';
  const scope = `Entries: ${filtersDescription}.`;
  const delivery = 'The CSV file will arrive in your direct messages, with the number of entries it holds.';
  return {
    text: `${heading} ${scope} ${delivery}`,
    blocks: [
      { kind: 'text', text: heading },
      { kind: 'text', text: scope },
      { kind: 'context', text: delivery },
    ],
  };
}
