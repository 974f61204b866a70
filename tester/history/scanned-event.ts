/** One event's fields, overwritten line after line. */
export interface ScannedEvent {
  time: number;
  process: number | string;
  type: string;
  f: string;
  value: number | string | null;
}
