// Each collection starts a whole system of real processes (PostgreSQL, S3, five services); two at once on a small
// machine would make the timing assertions (swap within 2 s) depend on the other system's load.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
