Console.WriteLine("Benchmarks: not yet implemented; see issue 4.");
return 1;
