/** "Create a new version": copies a profile version (at its current revision) to a new semver, then opens it. */
import { useState } from 'react';
import { type CopyProfileRequest, type ProfileDetail, profileVersionPath } from '../api/types.ts';
import { navigate } from '../app/router.ts';
import { useSession } from '../app/session.tsx';
import { useAction } from '../app/use-resource.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { isStrictSemver, suggestNextVersion } from './next-version.ts';

/** Renders the dialog for copying `name@from`; `existing` are the versions already taken. */
export function NewVersionDialog(props: { name: string; from: string; existing: string[]; onClose(): void }) {
  const { api } = useSession();
  const [version, setVersion] = useState(() => suggestNextVersion(props.existing));
  const action = useAction();
  const valid = isStrictSemver(version);
  const taken = props.existing.includes(version);
  const create = async () => {
    const created = await action.run(() =>
      api.post<ProfileDetail>(profileVersionPath(props.name, props.from, 'copy'), {
        version,
      } satisfies CopyProfileRequest),
    );
    if (created) {
      props.onClose();
      navigate(['profiles', created.name, 'versions', created.version]);
    }
  };
  return (
    <Dialog
      title={`New version of ${props.name}`}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={props.onClose}>
            Cancel
          </button>
          <GuardedButton
            need="operator"
            variant="primary"
            busy={action.running}
            disabled={!valid || taken}
            onClick={create}
          >
            Create {props.name}@{version}
          </GuardedButton>
        </>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid && !taken) void create();
        }}
      >
        <p>
          Copies{' '}
          <strong>
            {props.name}@{props.from}
          </strong>{' '}
          with all its layers, values and presets. Edit the copy, then move clusters to it from their Profile
          tab — the recommended way to update clusters.
        </p>
        <label className="field">
          <span>New version</span>
          <input
            value={version}
            onChange={(e) => setVersion(e.target.value.trim())}
            name="new-version"
            aria-invalid={!valid || taken}
          />
        </label>
        {!valid ? <div className="field-error">Use a strict semantic version such as 1.2.0.</div> : null}
        {taken ? (
          <div className="field-error">
            {props.name}@{version} exists already.
          </div>
        ) : null}
      </form>
      <ErrorBanner error={action.error} />
    </Dialog>
  );
}
