/**
 * wattscope/report: the self-contained report page of a benchmark's output directory.
 * @packageDocumentation
 */
export { buildReportHtml } from '../report/html.js';
export { writeReportPage } from '../report/write.js';
export type { ReportPageOptions } from '../report/write.js';
