return await Orchestration.Benchmarks.Harness.MainAsync(args);
