/**
 * The commands the agent answers over MQTT, by name. Each has a JSON Schema for its request
 * and a handler; a request is validated before its handler runs, so a malformed one is
 * refused with the schema's message and has no effect. Modules add their own commands with
 * register() (labels adds `label`): see agent/daemon/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { PACKAGE_ROOT } from '../paths.js';

/** A refusal the requester should read: the response says status "error" with this message. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export type CommandHandler = (params: Record<string, unknown>) => unknown | Promise<unknown>;

/** Command names: path segments of letters, digits, - and _ (they become topic levels). */
const NAME_RE = /^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;

export class CommandRegistry {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }) // formats (date-time) are checked by the handlers that use them;
  private readonly commands = new Map<string, { validate: ValidateFunction; handler: CommandHandler }>();

  register(name: string, schema: object, handler: CommandHandler): void {
    if (!NAME_RE.test(name)) throw new Error(`command name "${name}": lower-case letters, digits, - and _ in /-separated levels only`);
    if (this.commands.has(name)) throw new Error(`command "${name}" is registered twice`);
    const { $id: _id, ...rest } = schema as Record<string, unknown>; // one Ajv per registry: ids need not be unique across registries
    this.commands.set(name, { validate: this.ajv.compile(rest), handler });
  }

  names(): string[] { return [...this.commands.keys()].sort(); }

  /** The handler's data; throws CommandError for an unknown command or a request its schema refuses. */
  async run(name: string, params: Record<string, unknown>): Promise<unknown> {
    const c = this.commands.get(name);
    if (!c) throw new CommandError(`unknown command "${name}" (known: ${this.names().join(', ')})`);
    if (!c.validate(params)) throw new CommandError(`invalid request: ${this.ajv.errorsText(c.validate.errors, { dataVar: 'request' })}`);
    return c.handler(params);
  }
}

/** The request schema of a command, from agent/schemas/request-<name, / as ->.schema.json. */
export function requestSchema(name: string): object {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'agent', 'schemas', `request-${name.replace(/\//g, '-')}.schema.json`), 'utf8')) as object;
}
