/** Tabs as links: each tab is a route, so tabs survive reloads and can be shared. */
import { href } from '../app/router.ts';

/** One tab: its label, route segments and an optional count or mark. */
export interface TabItem {
  id: string;
  label: string;
  segments: string[];
  mark?: string | number;
}

/** Renders the tab bar with `active` selected. */
export function Tabs(props: { items: TabItem[]; active: string }) {
  return (
    <div className="tabs" role="tablist">
      {props.items.map((tab) => (
        <a
          key={tab.id}
          role="tab"
          aria-selected={tab.id === props.active}
          className={`tab${tab.id === props.active ? ' tab-active' : ''}`}
          href={href(tab.segments)}
        >
          {tab.label}
          {tab.mark !== undefined ? <span className="tab-mark">{tab.mark}</span> : null}
        </a>
      ))}
    </div>
  );
}
