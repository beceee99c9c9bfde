import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NotFound } from '@app/http';
import { Public } from '@app/tokens';
import { DASHBOARD_CSP, DashboardAsset, DashboardAssets } from './dashboard-assets';

/**
 * The web dashboard: a static single page app at `/` with its files under `/dashboard/`.
 * Deliberately public: the files hold no data; every call they make to the API carries the
 * operator's bearer token. Not part of the API, so excluded from the OpenAPI document.
 */
@ApiExcludeController()
@Public()
@Controller()
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  index(@Res() reply: FastifyReply): void {
    this.send(reply, this.assets.get('index.html')!);
  }

  @Get('dashboard/:file')
  file(@Param('file') file: string, @Res() reply: FastifyReply): void {
    const asset = file === 'index.html' ? undefined : this.assets.get(file);
    if (!asset) throw NotFound(`dashboard file "${file}"`);
    this.send(reply, asset);
  }

  private send(reply: FastifyReply, asset: DashboardAsset): void {
    void reply
      .header('content-type', asset.contentType)
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      // Revalidate every time: an upgraded server never runs with yesterday's script.
      .header('cache-control', 'no-cache')
      .send(asset.body);
  }
}
