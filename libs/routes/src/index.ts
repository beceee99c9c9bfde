export * from './dto/route.dto';
export { MAX_PATTERN_LENGTH, compilePattern, patternProblem } from './route-pattern';
export {
  compileRoutes,
  MAX_REGEX_PATH_LENGTH,
  selectRoute,
  type CompiledRoute,
  type HostRouteSettings,
} from './route-selection';
export { ROUTE_SCOPES, ROUTE_TARGET_TYPES, RouteRecord, type RouteScope, type RouteTargetType } from './route.record';
export { RouteOwnership } from './route-ownership';
export { RoutesModule } from './routes.module';
export { RoutesService } from './routes.service';
