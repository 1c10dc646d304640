// The shapes the Reshimu dashboards must have, built from Grafana's published
// types (@grafana/schema, mapped in by the tsconfig that check.mjs writes):
// the dashboard model, and for each panel type its options and its custom
// field config, so that a misspelled or retired option is a type error.

import type { Dashboard, FieldConfig, Panel, VariableModel } from '@grafana/schema';
import type * as barchart from 'schema/raw/composable/barchart/panelcfg/x/types.gen';
import type * as nodegraph from 'schema/raw/composable/nodegraph/panelcfg/x/types.gen';
import type * as stat from 'schema/raw/composable/stat/panelcfg/x/types.gen';
import type * as table from 'schema/raw/composable/table/panelcfg/x/types.gen';
import type * as timeseries from 'schema/raw/composable/timeseries/panelcfg/x/types.gen';

import type { ClickHouseQuery } from './clickhouse';

/** A type as JSON spells it: string enums by their values. */
export type Json<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Json<U>>
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

type StandardKey = Exclude<keyof FieldConfig, 'custom'>;

/** An override property on one of Grafana's standard field options. */
type StandardProperty = {
  [K in StandardKey]-?: { id: K; value?: Json<FieldConfig[K]> };
}[StandardKey];

/** An override property on one of the panel's own (`custom.*`) field options. */
type CustomProperty<C> = {
  [K in keyof C & string]-?: { id: `custom.${K}`; value?: Json<C[K]> };
}[keyof C & string];

/** A panel of type `Kind` with options `O` and custom field config `C`. */
export type PanelOf<Kind extends string, O, C> = Omit<
  Json<Panel>,
  'type' | 'options' | 'fieldConfig' | 'targets'
> & {
  type: Kind;
  options?: Json<Partial<O>>;
  fieldConfig?: {
    defaults: Json<Omit<FieldConfig, 'custom'>> & { custom?: Json<Partial<C>> };
    overrides: Array<{
      matcher: { id: string; options?: unknown };
      properties: Array<StandardProperty | CustomProperty<C>>;
    }>;
  };
  targets: ClickHouseQuery[];
};

// The traces panel publishes no options or field config types: it has none.
type Nothing = Record<never, never>;

export type Panels = {
  barchart: PanelOf<'barchart', barchart.Options, barchart.FieldConfig>;
  nodeGraph: PanelOf<'nodeGraph', nodegraph.Options, Nothing>;
  stat: PanelOf<'stat', stat.Options, Nothing>;
  table: PanelOf<'table', table.Options, table.FieldConfig>;
  timeseries: PanelOf<'timeseries', timeseries.Options, timeseries.FieldConfig>;
  traces: PanelOf<'traces', Nothing, Nothing>;
};

/**
 * A template variable. `definition` (the query as the variables list shows
 * it) is written by Grafana's own export (`QueryVariableModel` in
 * @grafana/data) but absent from the published schema.
 */
type Variable = Json<VariableModel> & { definition?: string };

/** A dashboard without its panels, which are checked one by one. */
export type DashboardWithoutPanels = Omit<Json<Dashboard>, 'panels' | 'templating'> & {
  templating?: { list?: Variable[] };
};
