import { Controller, Get, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { loadAdminAssets, renderAdminDocument, type AdminAsset } from './admin-page.assets.js';
import { ADMIN_PAGE_HEADERS } from './admin-page.headers.js';

/** What this controller reads of the platform's request (Express and Fastify both have `url`). */
interface PageRequest {
  url?: string;
  originalUrl?: string;
}

/**
 * The dashboard: `GET {path}` answers the document, `GET {path}/assets/:file` its scripts, styles
 * and icon, all read once from the package and served from memory (no CDN, no build at run time).
 * The module mounts it at its path, beside the REST API, behind the same guards (ADMIN_CONTROLLERS).
 */
@Controller()
export class SchedulerAdminPageController {
  private readonly files = loadAdminAssets();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  @Get()
  page(@Req() request: PageRequest, @Res({ passthrough: true }) response: unknown): string {
    this.setHeaders(response, 'text/html; charset=utf-8', 'no-store');
    return renderAdminDocument(this.files.document, request.originalUrl ?? request.url ?? '');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res({ passthrough: true }) response: unknown): string {
    const asset: AdminAsset | undefined = this.files.assets.get(file);
    if (!asset) throw new NotFoundException(`No dashboard asset '${file}'`);
    // Revalidated on each load, so an upgraded package is picked up without a stale script.
    this.setHeaders(response, asset.contentType, 'no-cache');
    return asset.body;
  }

  private setHeaders(response: unknown, contentType: string, cacheControl: string): void {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Content-Type', contentType);
    adapter.setHeader(response, 'Cache-Control', cacheControl);
    for (const [name, value] of Object.entries(ADMIN_PAGE_HEADERS)) adapter.setHeader(response, name, value);
  }
}
