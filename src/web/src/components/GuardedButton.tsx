/**
 * A button that needs a role: for a token below it, the button is disabled and hovering says why. While its
 * action runs it shows a spinner and cannot be pressed twice.
 */
import type { ButtonHTMLAttributes, ReactNode } from 'react';
import type { TokenRole } from '../api/types.ts';
import { usePermission } from '../app/session.tsx';

/** Props of `GuardedButton`: a button plus the role it needs and a busy flag. */
export interface GuardedButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  need: TokenRole;
  busy?: boolean;
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  children: ReactNode;
}

/** Renders the button, disabled with a reason on hover when the role does not allow it. */
export function GuardedButton(props: GuardedButtonProps) {
  const { need, busy, variant = 'secondary', children, disabled, title, className, ...rest } = props;
  const permission = usePermission(need);
  const blocked = !permission.allowed;
  return (
    <button
      type="button"
      {...rest}
      className={`btn btn-${variant}${className ? ` ${className}` : ''}`}
      disabled={blocked || disabled || busy}
      title={blocked ? permission.reason : title}
      aria-busy={busy || undefined}
      data-blocked={blocked || undefined}
    >
      {busy ? <span className="spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}
