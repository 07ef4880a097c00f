global using Microsoft.AspNetCore.Http.HttpResults;
global using MlOps.Registry.Api.Infrastructure;
