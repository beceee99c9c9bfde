export { DashboardModule } from './dashboard.module';
export { DASHBOARD_CSP, DashboardAssets } from './dashboard-assets';
