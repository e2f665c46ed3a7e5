/**
 * The MQTT `label` request (`<prefix>/<id>/request/label`): the same label as the live view
 * posts, through the same service; a label the service refuses is a CommandError (status
 * "error" with the reason, no effect).
 */
import { CommandError, requestSchema, type CommandRegistry } from '../control/registry.js';
import { LabelError } from './request.js';
import type { LabelService } from './service.js';

export function registerLabelCommand(commands: CommandRegistry, service: LabelService): void {
  commands.register('label', requestSchema('label'), (params) => {
    try {
      return service.submit(params);
    } catch (err) {
      if (err instanceof LabelError) throw new CommandError(err.message);
      throw err;
    }
  });
}
