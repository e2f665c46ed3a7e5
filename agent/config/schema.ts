/**
 * THE configuration schema of temguard: every key, its type, default and meaning. The
 * Config type, the defaults, validation, env overrides (TEMGUARD_<SECTION>_<KEY>) and the
 * reference table in the README all come from this one declaration.
 * Thresholds default to the paper (confidence 0.1, F1 alert 0.5).
 */
import { f, type Infer } from './schema-dsl.js';

/** The paper's detection confidence cut (Li et al. 2025): the one home of this default, for the agent and the offline commands alike. */
export const PAPER_CONFIDENCE = 0.1;

export const SCHEMA = {
  instrument: {
    id: f.string('tem-1', 'Instrument id: the MQTT topic level under the prefix and part of the client id. Letters, digits, - and _ only.'),
  },
  watch: {
    dir: f.optString('Acquisition directory to watch (recursively). Null: run the demo, a simulated microscope session written to a temp directory.'),
    extensions: f.list(['.tif', '.tiff', '.png', '.jpg', '.jpeg', '.dm3', '.dm4', '.mrc'], 'File extensions that are images (case-insensitive).'),
    ignore_prefixes: f.list(['.', '~'], 'Basenames starting with these are temp files and ignored.'),
    ignore_suffixes: f.list(['.part', '.tmp', '.crdownload', '.partial', '.lock'], 'Basenames ending with these are temp files and ignored.'),
    stable_ms: f.integer(1000, 'A file counts as completely written when its size has not changed for this long (cameras write large files slowly).', { min: 50, max: 600000 }),
    poll_ms: f.integer(100, 'How often the size is checked while waiting for stability.', { min: 10, max: 60000 }),
    use_polling: f.boolean(false, 'Poll instead of inotify: needed on network shares (SMB/NFS) where inotify sees nothing.'),
    catch_up: f.boolean(true, 'At start, process images that arrived while the agent was down (not yet in the journal).'),
    retry_truncated: f.integer(3, 'Times a truncated/empty image is retried (it may still be being written) before it becomes an error result.', { min: 0, max: 100 }),
    retry_delay_ms: f.integer(2000, 'Wait between such retries.', { min: 0, max: 600000 }),
    demo_interval_ms: f.integer(2000, 'Demo only: one simulated image every this many ms.', { min: 100, max: 3600000 }),
    demo_size: f.integer(512, 'Demo only: simulated image size in pixels.', { min: 64, max: 4096 }),
    demo_keep: f.integer(300, 'Demo only: the newest this many images stay in the demo directory; older ones are deleted, so a demo left running does not fill the disk.', { min: 10, max: 1000000 }),
  },
  queue: {
    capacity: f.integer(256, 'Images waiting in memory at most; beyond it new arrivals are left on disk and picked up by a rescan when the queue drains (nothing is lost).', { min: 1, max: 1000000 }),
    drain_timeout_s: f.number(30, 'On SIGTERM, how long in-flight and queued images may take to finish before the agent exits anyway (unfinished ones are redone at next start).', { min: 0, max: 3600 }),
  },
  decode: {
    memory_budget_mb: f.integer(1536, 'Memory one image may take through decode and detect (MiB; sized for a Jetson Orin 8 GB beside the camera software). The pixel limit and the detector windows derive from it; systemd MemoryMax= should leave room above it.', { min: 256, max: 1048576 }),
    max_pixels: f.integer(0, 'Images with more pixels are refused from the header, before allocating. 0: derived from memory_budget_mb (about 16 bytes per pixel after the detector windows).', { min: 0 }),
    pixel_size: f.records({
      pattern: f.string('*', 'Glob on the basename, e.g. "*.tif".'),
      x: f.number(1, 'Pixel size along x.', { min: 0 }),
      y: f.number(0, 'Pixel size along y (0: same as x).', { min: 0 }),
      unit: f.string('nm', 'Unit of x and y.'),
    }, 'Pixel-size overrides for files that carry none (PNG/JPEG/TIFF without resolution tags).'),
  },
  detector: {
    model: f.optString('ONNX detector file. Null: the bundled cavity model in models/.'),
    adapter: f.string('auto', 'Export format adapter: auto (from inputs/outputs/metadata) or a name (unet, maskrcnn-torchvision, detectron2, yolo).'),
    providers: f.list(['tensorrt', 'cuda', 'cpu'], 'Execution providers to try, in order; the first that loads is used and the report says why others fell back.', ['tensorrt', 'cuda', 'cpu']),
    device_id: f.integer(0, 'GPU index for tensorrt/cuda.', { min: 0 }),
    confidence: f.number(PAPER_CONFIDENCE, 'Detections below this score are dropped before features (paper: 0.1).', { min: 0, max: 1 }),
    threads: f.integer(0, 'Intra-op threads for the CPU provider (0: onnxruntime decides).', { min: 0, max: 256 }),
    tile: f.integer(960, 'Fully convolutional detectors (the bundled U-Net) run in windows of this many pixels plus tile_margin on each side, stitched into one map; a frame that fits in one window is not cut. Bounds memory whatever the frame size. 0: the whole frame in one input, one scale.', { min: 0, max: 16384 }),
    tile_margin: f.integer(64, 'Context (px) around each window core: the bundled U-Net sees about 140 px, so with 64 its map away from seams equals the whole-frame one to 1e-5 on average.', { min: 0, max: 1024 }),
    max_object_px: f.integer(400, 'Largest object (px across) to find whole when the pixel size is unknown: the frame is also run at 1/2, 1/4, ... scale until the model\'s object range (metadata temguard.object_px) covers it.', { min: 1, max: 100000 }),
    max_object_nm: f.number(0, 'The same in nm, used instead when the frame\'s pixel size is known in nm. 0: max_object_px always.', { min: 0 }),
  },
  forest: {
    model: f.optString('Forest model JSON. Null: the bundled forest in models/.'),
    f1_threshold: f.number(0.5, 'A predicted F1 below this marks the image low (paper: 0.5).', { min: 0, max: 1 }),
  },
  alert: {
    enter_after: f.integer(3, 'An alert starts after this many consecutive low images (one bad frame pages nobody).', { min: 1, max: 10000 }),
    exit_after: f.integer(3, 'An active alert ends after this many consecutive images that are not low.', { min: 1, max: 10000 }),
    update_every: f.integer(5, 'While an alert is active, publish an update every this many further low images.', { min: 1, max: 10000 }),
  },
  statistics: {
    thickness_nm: f.number(0, 'Foil thickness (nm) for each image\'s swelling. A temguard.json ({"thickness_nm": 85}) in the image\'s directory wins over it. 0: unknown (swelling is null unless a sidecar gives it).', { min: 0, max: 100000 }),
  },
  labels: {
    calibrate: f.boolean(true, 'Apply the site calibration (an isotonic map predicted -> realized F1 fitted on the spot-check labels) once labels.calibrate_after images are labelled, where it measured better (leave-one-out). false: results carry the forest\'s own F1 (prediction.calibration null).'),
    calibrate_after: f.integer(20, 'Labelled images needed before the site calibration is fitted.', { min: 2, max: 100000 }),
  },
  mqtt: {
    url: f.string('embedded://127.0.0.1:1883', 'Broker: embedded://HOST:PORT starts an in-process broker that takes clients on this machine only; mqtt:// or mqtts:// for a site broker.'),
    prefix: f.string('temguard', 'Topic prefix: topics are <prefix>/<instrument>/<name>.'),
    client_id: f.optString('MQTT client id. Null: temguard-<instrument>.'),
    protocol_version: f.enum(['auto', '4', '5'], 'auto', 'MQTT protocol: 5, 4 (3.1.1) or auto (3.1.1 for the embedded broker, 5 otherwise).'),
    username: f.optString('Username for the site broker. With embedded://, the login (with the password below) the embedded broker then requires of every client, the agent\'s own included.'),
    password_file: f.optString('File holding the password (e.g. $CREDENTIALS_DIRECTORY/mqtt-password under systemd).'),
    password_env: f.optString('Name of an environment variable holding the password.'),
    ca_file: f.optString('CA certificate (PEM) for mqtts://.'),
    cert_file: f.optString('Client certificate (PEM) for mqtts:// with client auth.'),
    key_file: f.optString('Client key (PEM) for mqtts:// with client auth.', { secret: true }),
    reject_unauthorized: f.boolean(true, 'Verify the broker certificate.'),
    keepalive_s: f.integer(30, 'MQTT keepalive.', { min: 0, max: 65535 }),
    reconnect_ms: f.integer(2000, 'Wait between reconnect attempts.', { min: 100, max: 600000 }),
    inflight: f.integer(32, 'QoS 1 messages awaiting broker acknowledgement at once.', { min: 1, max: 65535 }),
  },
  state: {
    dir: f.string('.temguard-state', 'Directory for the journal and outbox (relative to the working directory; /var/lib/temguard under systemd).'),
    outbox_max: f.integer(10000, 'Unacknowledged messages kept at most. When full, the pipeline pauses (images stay on disk, nothing is dropped) until the broker acknowledges.', { min: 10, max: 10000000 }),
    keep_days: f.number(30, 'Journal entries of images older than this are pruned (the image will not be redone unless it changes).', { min: 0.001, max: 36500 }),
  },
  schedule: {
    status: f.string('*/10 * * * * *', 'node-cron expression (with seconds) for the retained status heartbeat.'),
    digest: f.string('0 0 * * * *', 'node-cron expression for the digest (mean predicted F1, images, alerts since the last digest).'),
    prune: f.string('0 17 3 * * *', 'node-cron expression for compacting the journal and outbox.'),
  },
  notify: {
    on: f.list(['alert', 'error'], 'What is notified by webhook and mail: alert (start and end of every alert kind: low predicted F1, stall), alert_update, error (failed images, start-up problems).', ['alert', 'alert_update', 'error']),
    cooldown_s: f.integer(900, 'Per instrument and alert kind (or error stage and code): at most one notice this often; what falls inside goes into the digest. An alert\'s end is sent when its start was.', { min: 0, max: 604800 }),
    max_per_hour: f.integer(20, 'Notices sent in any rolling hour at most (all kinds together); beyond it they go into the digest.', { min: 1, max: 100000 }),
    digest_s: f.integer(3600, 'Held notices are summarised in one digest message at most this often (and after quiet hours). So a flapping alert sends at most max_per_hour + 3600/digest_s messages an hour.', { min: 60, max: 604800 }),
    quiet_hours: f.optString('HH:MM-HH:MM (e.g. 22:00-07:00, may wrap midnight) when nothing is sent; held notices go out in the digest after. Null: none.'),
    quiet_tz: f.optString('IANA time zone of quiet_hours (e.g. Europe/Berlin). Null: the machine\'s.'),
    queue_max: f.integer(100, 'Notices waiting per channel at most (in memory; a receiver that is down does not block the pipeline). Beyond it the oldest is dropped and counted in status.', { min: 1, max: 100000 }),
    retry_initial_ms: f.integer(1000, 'First wait before retrying a receiver that failed; doubles each time.', { min: 1, max: 3600000 }),
    retry_max_ms: f.integer(300000, 'Longest wait between retries.', { min: 1, max: 86400000 }),
    retry_attempts: f.integer(10, 'Tries per notice before it is dropped (counted as failed in status).', { min: 1, max: 1000 }),
    timeout_ms: f.integer(10000, 'Time a receiver may take to answer (HTTP request, SMTP connection).', { min: 100, max: 600000 }),
    webhook_url: f.optString('Webhook: JSON POST with a `text` field (Slack, Mattermost, Teams incoming webhooks) and a `temguard` object. Shown in `info`: put URLs that carry a token in webhook_url_file. Null: no webhook.'),
    webhook_url_file: f.optString('File holding the webhook URL (e.g. $CREDENTIALS_DIRECTORY/webhook-url under systemd); never logged.'),
    mail_host: f.optString('SMTP server for mail notifications. Null: no mail.'),
    mail_port: f.integer(587, 'SMTP port (587 submission with STARTTLS, 465 with secure, 25).', { min: 1, max: 65535 }),
    mail_secure: f.boolean(false, 'Implicit TLS (port 465); otherwise STARTTLS when the server offers it.'),
    mail_require_tls: f.boolean(false, 'Refuse to send unless STARTTLS succeeds.'),
    mail_username: f.optString('SMTP login. Null: no authentication.'),
    mail_password_file: f.optString('File holding the SMTP password (e.g. $CREDENTIALS_DIRECTORY/smtp-password); never logged.'),
    mail_password_env: f.optString('Name of an environment variable holding the SMTP password.'),
    mail_ca_file: f.optString('CA certificate (PEM) for the SMTP server\'s TLS.'),
    mail_reject_unauthorized: f.boolean(true, 'Verify the SMTP server\'s certificate.'),
    mail_from: f.string('temguard@localhost', 'Sender address.'),
    mail_to: f.list([] as string[], 'Recipients.'),
    mail_subject_prefix: f.string('[temguard]', 'Put before every subject (mail filters match on it).'),
  },
  http: {
    listen: f.optString('Serve the live view (web page, server-sent events, overlays) on HOST:PORT, e.g. 127.0.0.1:8080. Null: no web server.'),
  },
  stall: {
    minutes: f.number(0, 'Raise a stall alert (kind "stall" on the alert topic) when no new image arrives for this many minutes inside stall.window; the next image ends it. 0: off.', { min: 0, max: 1440 }),
    window: f.string('always', 'Session window, local time: "HH:MM-HH:MM" (e.g. 08:00-18:00; may cross midnight) or "always".'),
  },
  metrics: {
    listen: f.optString('Serve Prometheus metrics at /metrics on HOST:PORT (e.g. 127.0.0.1:9464), a listener without the live view. The live view (http.listen) serves /metrics too. Null: no separate listener.'),
  },
  log: {
    level: f.enum(['debug', 'info', 'warn', 'error'], 'info', 'Least severe level written to stdout (JSON lines).'),
  },
} as const;

export type Config = Infer<typeof SCHEMA>;
