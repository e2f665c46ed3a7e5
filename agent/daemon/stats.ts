/** Counters since start, shown in `status` and returned by startDaemon. */
export interface DaemonStats {
  started: string;
  processed: number;
  results: number;
  errors: number;
  low: number;
  last_prediction: { image: string; f1: number; low: boolean; defocus_um?: number | null } | null;
}

export function newStats(now: number): DaemonStats {
  return { started: new Date(now).toISOString(), processed: 0, results: 0, errors: 0, low: 0, last_prediction: null };
}
