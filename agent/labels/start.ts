/**
 * The labelling service as the daemon runs it: label file and calibration beside the
 * journal, fed by the result/alert events, feedback journalled and published through the
 * outbox like every other message, and the calibration applied to each new prediction.
 */
import type { Config } from '../config/schema.js';
import type { DaemonEvents } from '../daemon/events.js';
import type { StateMessages } from '../daemon/messages.js';
import type { Analyse } from '../daemon/worker.js';
import type { Logger } from '../log.js';
import type { StateStore } from '../pipeline/outbox.js';
import { calibrate, loadCalibration } from './calibration.js';
import { LabelService } from './service.js';
import { LabelStore } from './store.js';

export interface StartLabelsDeps {
  cfg: Config;
  stateDir: string;
  events: DaemonEvents;
  store: StateStore;
  messages: StateMessages;
  pump: () => void;
  now: () => number;
  log: Logger;
}

export function startLabels(d: StartLabelsDeps): LabelService {
  const labels = LabelStore.open(d.stateDir, () => new Date(d.now()));
  if (labels.problem) d.log.error('spot-check labels: the label file was unreadable', { problem: labels.problem });
  const calibrateAfter = d.cfg.labels.calibrate ? d.cfg.labels.calibrate_after : 0;
  const service = new LabelService({
    store: labels, stateDir: d.stateDir, calibrateAfter, now: () => new Date(d.now()),
    publish: (body) => {
      d.messages.bestEffort(() => d.store.recordMessages([d.messages.make('feedback', body)]));
      d.pump();
    },
  }, calibrateAfter > 0 ? loadCalibration(d.stateDir) : null);
  d.events.on('result', ({ result, msg }) => service.onResult(result, String(msg.payload.ts)));
  d.events.on('alert', ({ event }) => service.onAlert(event.state));
  d.log.info('spot-check labels', { labelled: labels.size, calibration: service.current?.stamp ?? null });
  return service;
}

/** The analysis with the site calibration applied to its prediction (stamped, null when none). */
export function calibratedAnalyse(analyse: Analyse, service: LabelService): Analyse {
  return async (file, signal) => {
    const out = await analyse(file, signal);
    if (out.result) out.result.prediction = calibrate(out.result.prediction, service.current);
    return out;
  };
}
