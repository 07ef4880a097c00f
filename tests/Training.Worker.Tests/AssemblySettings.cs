// Training is CPU-bound and the machine is small: classes run one after another, so timings and lease
// deadlines do not depend on what else the suite is doing.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
