using MlOps.Bench.Scale;

// Usage:
//   RegistryScale load <pg-connection-string> <runs> <steps-per-key> <huge-runs> <huge-points>
//   RegistryScale measure <registry-url> <reader-key> <trainer-key> <registry-pid> <postmaster-pid> <pg-connection-string> <label> [seconds-per-scenario=20]
return args.FirstOrDefault() switch
{
    "load" => await Loader.RunAsync(args[1], int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5])),
    "measure" => await Measure.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: RegistryScale load|measure ... (see bench/scale/README-registry.md)");
    return 2;
}
