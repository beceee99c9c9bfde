import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import {
  CreateResourceDto,
  DiscoveryDto,
  McpPolicyDto,
  PolicyDeletedDto,
  ResourceDeletedDto,
  ResourceDto,
  ResourceValidationDto,
  UpdateResourceDto,
} from './dto/resource.dto';
import { ResourcesService } from './resources.service';

const POLICY_EXAMPLES = {
  'write tools need mcp:write': {
    value: { rules: [{ id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write'] }] },
  },
  'admin tools for some users, one tool denied': {
    value: {
      rules: [
        { id: 'no-shell', method: 'tools/call', name: 'run_shell', deny: true },
        { id: 'admins', method: 'tools/call', name: 'admin_*', users: ['alice'], emails: ['ops@example.com'] },
      ],
    },
  },
  'only listed tools': {
    value: {
      default: 'deny',
      rules: [
        { id: 'initialize', method: 'initialize' },
        { id: 'ping', method: 'ping' },
        { id: 'notifications', method: 'notifications/*' },
        { id: 'lists', method: '*/list' },
        { id: 'search', method: 'tools/call', name: 'search' },
      ],
    },
  },
};

@ApiTags('resources')
@Controller('api/v1/resources')
export class ResourcesController {
  constructor(private readonly resources: ResourcesService) {}

  /** Registers a protected resource (an MCP server behind a proxy target); its metadata is served at once. */
  @Post()
  @Authenticated()
  create(@Auth() auth: AuthContext, @Body() body: CreateResourceDto): Promise<ResourceDto> {
    return this.resources.create(auth, body);
  }

  /** The caller's resources (the admin sees all). */
  @Get()
  @Authenticated()
  list(@Auth() auth: AuthContext): Promise<ResourceDto[]> {
    return this.resources.list(auth);
  }

  /** Registers protected targets without an entry from their backend's own resource metadata. */
  @Post('discover')
  @HttpCode(200)
  @Authenticated()
  discover(@Auth() auth: AuthContext): Promise<DiscoveryDto> {
    return this.resources.discover(auth);
  }

  @Get(':id')
  @Authenticated()
  show(@Auth() auth: AuthContext, @Param('id') id: string): Promise<ResourceDto> {
    return this.resources.show(auth, id);
  }

  @Put(':id')
  @Authenticated()
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() body: UpdateResourceDto): Promise<ResourceDto> {
    return this.resources.update(auth, id, body);
  }

  @Delete(':id')
  @Authenticated()
  delete(@Auth() auth: AuthContext, @Param('id') id: string): Promise<ResourceDeletedDto> {
    return this.resources.delete(auth, id);
  }

  /** Its MCP policy; 404 when it has none (every MCP call is allowed). */
  @Get(':id/policy')
  @Authenticated()
  showPolicy(@Auth() auth: AuthContext, @Param('id') id: string): Promise<McpPolicyDto> {
    return this.resources.showPolicy(auth, id);
  }

  /**
   * Sets its MCP policy (replaces the whole document): ordered rules on the JSON-RPC method and the
   * tool, prompt or resource name; the first that matches decides. 400 lists every problem, naming the rule.
   */
  @Put(':id/policy')
  @Authenticated()
  @ApiBody({ type: McpPolicyDto, examples: POLICY_EXAMPLES })
  setPolicy(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    // Checked by policyProblems (its messages name the rule), not by the validation pipe.
    @Body() body: Record<string, unknown>,
  ): Promise<McpPolicyDto> {
    return this.resources.setPolicy(auth, id, body);
  }

  /** Removes its MCP policy: every MCP call is allowed again, as without policies. */
  @Delete(':id/policy')
  @Authenticated()
  deletePolicy(@Auth() auth: AuthContext, @Param('id') id: string): Promise<PolicyDeletedDto> {
    return this.resources.deletePolicy(auth, id);
  }

  /** Checks the resource end to end and names the first problem: target down, auth off, metadata wrong, MCP initialize failing. */
  @Post(':id/validate')
  @HttpCode(200)
  @Authenticated()
  validate(@Auth() auth: AuthContext, @Param('id') id: string): Promise<ResourceValidationDto> {
    return this.resources.validate(auth, id);
  }
}
