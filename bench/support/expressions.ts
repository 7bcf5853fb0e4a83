/**
 * Distinct-ish 6-field crontab expressions (seconds first), a mix of shapes applications use,
 * all firing only in the UTC hour `hourUtc` (pass farHourUtc(): 12 hours from now), so that
 * none is due for hours. Every scheduler gets exactly the same strings.
 */
export function farExpression(i: number, hourUtc: number): string {
  const s = i % 60;
  const m = Math.floor(i / 4) % 60;
  switch (i % 4) {
    case 0:
      return `${s} ${m} ${hourUtc} * * *`; // daily
    case 1:
      return `${s} ${m} ${hourUtc} * * 1-5`; // weekdays
    case 2:
      return `${s} ${m} ${hourUtc} ${1 + (Math.floor(i / 240) % 28)} * *`; // monthly
    default:
      return `${s} */${1 + (Math.floor(i / 4) % 30)} ${hourUtc} * * *`; // every n minutes in that hour
  }
}

/** The UTC hour 12 hours from now. */
export function farHourUtc(): number {
  return (new Date().getUTCHours() + 12) % 24;
}
