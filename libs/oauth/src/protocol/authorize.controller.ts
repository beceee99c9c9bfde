import { Body, Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@app/config';
import { Public } from '@app/tokens';
import { AsCookies } from '../flow/as-cookies';
import { AuthorizationService, FlowStep } from '../flow/authorization.service';
import { consentPage, errorPage } from '../flow/pages';
import { Form, form } from './form';
import { PAGE_HEADERS } from './http-headers';
import { OAuthExceptionFilter } from './oauth-exception.filter';

/** The browser part: /authorize, GitHub's /callback, and the consent page. */
@ApiExcludeController()
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller()
export class OAuthAuthorizeController {
  private readonly cookies: AsCookies;

  constructor(
    private readonly flow: AuthorizationService,
    private readonly config: AppConfig,
  ) {
    this.cookies = new AsCookies(config.oauth.issuer);
  }

  @Get('authorize')
  async authorize(@Query() query: Form, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.send(reply, await this.flow.authorize(query, this.cookies.read(req.headers.cookie, 'session')), 302);
  }

  @Get('callback')
  async callback(@Query() query: Form, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.send(reply, await this.flow.callback(query, this.cookies.read(req.headers.cookie, 'flow')), 302);
  }

  @Get('consent')
  async consent(@Query('id') id: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.send(reply, await this.flow.consentPage(id, this.cookies.read(req.headers.cookie, 'session')), 302);
  }

  @Post('consent')
  async decide(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // Cross-site form posts are refused outright; the CSRF token and session are checked after.
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && origin !== new URL(this.config.oauth.issuer).origin) {
      this.send(
        reply,
        {
          kind: 'page',
          status: 403,
          title: 'Approval refused',
          message: 'The approval form was sent from another site.',
        },
        303,
      );
      return;
    }
    this.send(reply, await this.flow.decide(form(body), this.cookies.read(req.headers.cookie, 'session')), 303);
  }

  private send(reply: FastifyReply, step: FlowStep, redirectStatus: number): void {
    switch (step.kind) {
      case 'redirect': {
        if (step.cookies?.length)
          void reply.header(
            'set-cookie',
            step.cookies.map((c) => this.cookies.serialize(c)),
          );
        void reply.status(redirectStatus).headers({ location: step.location, 'cache-control': 'no-store' }).send();
        return;
      }
      case 'consent':
        void reply.status(200).headers(PAGE_HEADERS).send(consentPage(step.consent));
        return;
      case 'page':
        void reply.status(step.status).headers(PAGE_HEADERS).send(errorPage(step.title, step.message));
        return;
    }
  }
}
