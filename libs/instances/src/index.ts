export { InstanceDto, CreateInstanceDto, UpdateInstanceDto } from './dto/instance.dto';
export { InstanceOwnership } from './instance-ownership';
export { InstancesModule } from './instances.module';
export { ADMIN_API_INSTANCE, InstancesService } from './instances.service';
