// For the type check only (`tsc -p ui`, run by tools/test.sh); never loaded
// by the app. The globals the pages share: Tauri's API (withGlobalTauri) and
// common.js's helpers.
interface Window {
  __TAURI__: any;
  ST: any;
}
declare var ST: any;
