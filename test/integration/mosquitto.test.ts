/**
 * The agent against Debian's mosquitto (what sites run), over MQTT 5. Skipped when
 * mosquitto is not installed, except in CI (TEMGUARD_REQUIRE_MOSQUITTO=1), where it must run.
 */
import test from 'ava';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collector, freePort, mosquittoPath, startMosquitto, waitFor } from '../helpers/broker.js';
import { startAgent } from '../helpers/agent.js';
import { schemaErrors } from '../helpers/schemas.js';
import { sampleImages } from '../helpers/images.js';

const available = mosquittoPath() !== null;
const required = process.env.TEMGUARD_REQUIRE_MOSQUITTO === '1';
const maybe = available || required ? test.serial : test.skip;

maybe('with mosquitto (MQTT 5): retained availability/info/status, results, and a clean stop', async (t) => {
  const port = await freePort();
  const broker = await startMosquitto(port);
  const [watch, state] = [mkdtempSync(join(tmpdir(), 'tg-w-')), mkdtempSync(join(tmpdir(), 'tg-s-'))];
  const agent = startAgent(['--watch', watch, '--mqtt', `mqtt://127.0.0.1:${port}`, '--state', state, '--instrument', 'mosq-1']);
  let sub: Awaited<ReturnType<typeof collector>> | undefined;
  try {
    await agent.waitLog('broker connected');
    // Subscribed before the images arrive, so no result can be published before it listens.
    const c = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/mosq-1/#', 5);
    sub = c;
    const images = await sampleImages(2);
    images.forEach((p, i) => copyFileSync(p, join(watch, `m${i}.png`)));
    await waitFor(() => c.messages.filter((m) => m.topic.endsWith('/result')).length === 2, 120_000, 'two results');
    await waitFor(() => c.messages.some((m) => m.topic.endsWith('/status')), 5000, 'status');
    // Retained state is there for a dashboard that subscribes late. The first subscriber may
    // have joined before the agent's first publish reached mosquitto, and then got it live,
    // without the retained flag; so the flag is checked on a fresh subscription, made once
    // each of the three is known to have been published (the first subscriber has it).
    const topics = ['availability', 'info', 'status'];
    t.deepEqual(topics.filter((x) => !c.messages.some((m) => m.topic === `temguard/mosq-1/${x}`)), [], 'all three published');
    const late = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/mosq-1/#', 5);
    try {
      const retained = (topic: string) => late.messages.find((x) => x.topic === `temguard/mosq-1/${topic}` && x.retain);
      await waitFor(() => topics.every((x) => retained(x)), 5000, 'retained availability/info/status for a late subscriber').catch(() => undefined);
      for (const topic of topics) t.truthy(retained(topic), `retained ${topic}`);
      t.is(retained('availability')?.payload.state, 'online');
    } finally {
      await late.close();
    }
    for (const m of c.messages) t.is(schemaErrors(m.topic.split('/').pop()!, m.payload), null);
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
    await waitFor(() => c.messages.some((m) => m.topic.endsWith('/availability') && m.payload.state === 'stopped'), 5000, 'stopped');
  } finally {
    agent.child.kill('SIGKILL');
    await sub?.close();
    await broker.stop();
  }
});
