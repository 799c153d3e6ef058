/**
 * What the API server refuses after defaulting, with its wording (422 `Invalid`, one cause per field): the rules
 * kubectl and Helm users meet — a Job's pod template must not restart forever, a CronJob's schedule and time zone
 * must parse.
 */

import { parseCronSchedule } from './cron.ts';
import { isJsonObject, type KubeObject } from './kube-object.ts';
import { invalid, invalidValueCause, requiredCause, type StatusCause } from './kube-status.ts';
import type { ResourceType } from './resources.ts';

const RUN_TO_COMPLETION = 'valid values: "OnFailure", "Never"';

function podTemplateRestartCauses(template: unknown, field: string): StatusCause[] {
  const spec = isJsonObject(template) && isJsonObject(template['spec']) ? template['spec'] : {};
  const policy = spec['restartPolicy'];
  return policy === 'Never' || policy === 'OnFailure' ? [] : [requiredCause(field, RUN_TO_COMPLETION)];
}

function jobSpecCauses(jobSpec: unknown, prefix: string): StatusCause[] {
  const spec = isJsonObject(jobSpec) ? jobSpec : {};
  return podTemplateRestartCauses(spec['template'], `${prefix}.template.spec.restartPolicy`);
}

function cronJobCauses(obj: KubeObject): StatusCause[] {
  const spec = isJsonObject(obj['spec']) ? obj['spec'] : {};
  const causes: StatusCause[] = [];
  const schedule = spec['schedule'];
  if (typeof schedule !== 'string' || schedule === '') causes.push(requiredCause('spec.schedule'));
  else {
    const parsed = parseCronSchedule(schedule);
    if ('error' in parsed) causes.push(invalidValueCause('spec.schedule', schedule, parsed.error));
  }
  const zone = spec['timeZone'];
  if (typeof zone === 'string' && !isTimeZone(zone)) {
    causes.push(invalidValueCause('spec.timeZone', zone, `unknown time zone ${zone}`));
  }
  const jobTemplate = isJsonObject(spec['jobTemplate']) ? spec['jobTemplate'] : {};
  causes.push(...jobSpecCauses(jobTemplate['spec'], 'spec.jobTemplate.spec'));
  return causes;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Throws the API server's `Invalid` error when a defaulted object breaks a rule of its kind. */
export function validateObject(type: ResourceType, obj: KubeObject): void {
  let causes: StatusCause[] = [];
  if (type.group === 'batch' && type.kind === 'Job') causes = jobSpecCauses(obj['spec'], 'spec');
  else if (type.group === 'batch' && type.kind === 'CronJob') causes = cronJobCauses(obj);
  if (causes.length > 0) throw invalid(type, obj.metadata.name, causes);
}
