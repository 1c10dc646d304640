// What the ClickHouse data source plugin (grafana-clickhouse-datasource 4.x)
// reads, written from its documentation and its published query and config
// types (src/types/sql.ts, src/types/config.ts, docs/sources/configure.md):
// panel targets, and the data source and dashboard provisioning files.

/** A raw SQL target of the plugin. */
export interface ClickHouseQuery {
  refId: string;
  datasource: { type: 'grafana-clickhouse-datasource'; uid: string };
  hide?: boolean;
  /** The plugin version the query was written for. */
  pluginVersion: string;
  editorType: 'sql';
  rawSql: string;
  /** sqlds formats: 0 time series, 1 table, 2 logs, 3 traces, 4 multi. */
  format: 0 | 1 | 2 | 3 | 4;
  queryType: 'table' | 'logs' | 'timeseries' | 'traces';
  meta?: { timezone?: string };
  expand?: boolean;
}

/** `jsonData.traces` and `jsonData.logs` column settings. */
interface SignalConfig {
  defaultDatabase?: string;
  defaultTable?: string;
  otelEnabled?: boolean;
  /** The OTel schema: `latest` or a pinned one. */
  otelVersion?: 'latest' | '1.30.0' | '1.29.0';
}

interface TracesConfig extends SignalConfig {
  traceIdColumn?: string;
  spanIdColumn?: string;
  operationNameColumn?: string;
  parentSpanIdColumn?: string;
  serviceNameColumn?: string;
  durationColumn?: string;
  durationUnit?: 'seconds' | 'milliseconds' | 'microseconds' | 'nanoseconds';
  startTimeColumn?: string;
  tagsColumn?: string;
  serviceTagsColumn?: string;
  kindColumn?: string;
  statusCodeColumn?: string;
  statusMessageColumn?: string;
  stateColumn?: string;
  instrumentationLibraryNameColumn?: string;
  instrumentationLibraryVersionColumn?: string;
  flattenNested?: boolean;
  traceEventsColumnPrefix?: string;
  traceLinksColumnPrefix?: string;
  showTraceLinks?: boolean;
  traceTimestampTableSuffix?: string;
}

interface LogsConfig extends SignalConfig {
  filterTimeColumn?: string;
  timeColumn?: string;
  levelColumn?: string;
  messageColumn?: string;
  selectContextColumns?: boolean;
  contextColumns?: string[];
  showLogLinks?: boolean;
}

/** `jsonData` of the ClickHouse data source (values may be `$ENV` strings). */
interface ClickHouseJsonData {
  host: string;
  port: number | string;
  protocol: 'native' | 'http';
  secure?: boolean | string;
  path?: string;
  username: string;
  tlsSkipVerify?: boolean | string;
  tlsAuth?: boolean | string;
  tlsAuthWithCACert?: boolean | string;
  defaultDatabase?: string;
  defaultTable?: string;
  dialTimeout?: string | number;
  queryTimeout?: string | number;
  connMaxLifetime?: string;
  maxIdleConns?: string;
  maxOpenConns?: string;
  validateSql?: boolean;
  enableRowLimit?: boolean;
  forwardGrafanaHeaders?: boolean;
  configMode?: 'classic' | 'single-table';
  signalType?: 'logs' | 'traces';
  httpHeaders?: Array<{ name: string; value: string; secure: boolean }>;
  customSettings?: Array<{ setting: string; value: string }>;
  logs?: LogsConfig;
  traces?: TracesConfig;
}

/** A `datasources:` entry of a Grafana provisioning file for this plugin. */
interface ClickHouseDataSource {
  name: string;
  type: 'grafana-clickhouse-datasource';
  uid?: string;
  orgId?: number;
  access?: 'proxy';
  isDefault?: boolean;
  editable?: boolean;
  version?: number;
  jsonData: ClickHouseJsonData;
  secureJsonData?: {
    password?: string;
    tlsCACert?: string;
    tlsClientCert?: string;
    tlsClientKey?: string;
  };
}

/** `provisioning/datasources/*.yaml`. */
export interface DataSourcesFile {
  apiVersion: 1;
  deleteDatasources?: Array<{ name: string; orgId?: number }>;
  prune?: boolean;
  datasources: ClickHouseDataSource[];
}

/** `provisioning/dashboards/*.yaml` (Grafana's file provider). */
export interface DashboardProvidersFile {
  apiVersion: 1;
  providers: Array<{
    name: string;
    orgId?: number;
    folder?: string;
    folderUid?: string;
    type: 'file';
    disableDeletion?: boolean;
    updateIntervalSeconds?: number;
    allowUiUpdates?: boolean;
    options: { path: string; foldersFromFilesStructure?: boolean };
  }>;
}
