import { Module } from '@nestjs/common';
import { DashboardAssets } from './dashboard-assets';
import { DashboardController } from './dashboard.controller';

/** Serves the web dashboard (static files) on the admin listener. */
@Module({ controllers: [DashboardController], providers: [DashboardAssets] })
export class DashboardModule {}
