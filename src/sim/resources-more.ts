/**
 * The built-in kinds that real charts bring besides the everyday ones (admission webhooks and policies, endpoint
 * slices, storage and node kinds, flow control, certificates), with Kubernetes 1.35's scopes and short names. They
 * are stored and served like any object; nothing calls a webhook or enforces a policy.
 */

import { builtin } from './builtin-resource.ts';
import type { ResourceType } from './resources.ts';

/** Appended to resources.ts's list (after the group's preferred versions, so those stay preferred). */
export const MORE_BUILTIN_RESOURCES: readonly ResourceType[] = [
  builtin('', 'v1', 'ReplicationController', 'replicationcontrollers', {
    shortNames: ['rc'],
    status: true,
    scale: true,
    all: true,
  }),
  builtin('', 'v1', 'PodTemplate', 'podtemplates'),
  builtin(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    {
      cluster: true,
    },
  ),
  builtin(
    'admissionregistration.k8s.io',
    'v1',
    'MutatingWebhookConfiguration',
    'mutatingwebhookconfigurations',
    {
      cluster: true,
    },
  ),
  builtin('admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies', {
    cluster: true,
    status: true,
  }),
  builtin(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingAdmissionPolicyBinding',
    'validatingadmissionpolicybindings',
    { cluster: true },
  ),
  builtin('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices'),
  builtin('storage.k8s.io', 'v1', 'CSINode', 'csinodes', { cluster: true }),
  builtin('storage.k8s.io', 'v1', 'VolumeAttachment', 'volumeattachments', { cluster: true, status: true }),
  builtin('storage.k8s.io', 'v1', 'CSIStorageCapacity', 'csistoragecapacities'),
  builtin('storage.k8s.io', 'v1', 'VolumeAttributesClass', 'volumeattributesclasses', {
    shortNames: ['vac'],
    cluster: true,
  }),
  builtin('node.k8s.io', 'v1', 'RuntimeClass', 'runtimeclasses', { cluster: true }),
  builtin('certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'certificatesigningrequests', {
    shortNames: ['csr'],
    cluster: true,
    status: true,
  }),
  builtin('flowcontrol.apiserver.k8s.io', 'v1', 'FlowSchema', 'flowschemas', { cluster: true, status: true }),
  builtin('flowcontrol.apiserver.k8s.io', 'v1', 'PriorityLevelConfiguration', 'prioritylevelconfigurations', {
    cluster: true,
    status: true,
  }),
  builtin('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', {
    shortNames: ['hpa'],
    status: true,
    all: true,
  }),
];
