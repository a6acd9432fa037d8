/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** How many times the baseline's cost the figure is: 1 is as good as the baseline, 2 twice as slow (or as big). */
export function costRatio(figure: number, baseline: number, better: 'higher' | 'lower'): number {
  return better === 'lower' ? figure / baseline : baseline / figure;
}
