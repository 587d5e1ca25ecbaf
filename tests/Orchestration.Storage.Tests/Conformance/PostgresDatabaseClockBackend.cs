using System.Reflection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orchestration.Postgres;
using Orchestration.Testing;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// PostgreSQL as production runs it: the store reads time from the database (<c>now()</c> in SQL), not from the host.
/// The suite still drives time with its fake clock: each test gets a schema of its own holding a <c>now()</c> that
/// returns a stored instant, put first on the connections' search path, and every call into the store first copies the
/// fake clock into that instant. The store's SQL is the production SQL, unchanged.
/// </summary>
public sealed class PostgresDatabaseClockBackend : Backend
{
    public override string Name => "PostgresDatabaseClock";

    public override async Task<StoreHandle> CreateAsync(FakeTimeProvider time)
    {
        var server = await PostgresServer.Shared;
        var shared = await server.TestDatabaseAsync();
        var schema = PostgresServer.NewSchemaName();
        var clockSchema = schema + "_clock";
        await using (var cmd = shared.CreateCommand(
            $"""
            CREATE SCHEMA "{clockSchema}";
            CREATE TABLE "{clockSchema}".clock (at timestamptz NOT NULL);
            INSERT INTO "{clockSchema}".clock VALUES ('-infinity');
            CREATE FUNCTION "{clockSchema}".now() RETURNS timestamptz LANGUAGE sql STABLE AS 'SELECT at FROM "{clockSchema}".clock';
            """))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(shared.ConnectionString)
        {
            SearchPath = $"\"{clockSchema}\",pg_catalog",
            MaxPoolSize = 10,
        }.ConnectionString);
        var store = new PostgresStore(dataSource, new PostgresStoreOptions { Schema = schema, UseHostClock = false }, time);
        await store.MigrateAsync(CancellationToken.None);
        Assert.That(store.Capabilities.DatabaseClock, Is.True);

        var clock = new DatabaseClock(dataSource, clockSchema, time);
        return new StoreHandle(
            ClockedProxy<IOrchestrationStore>.Wrap(store, clock),
            ClockedProxy<IOrchestrationQueries>.Wrap(store, clock),
            ClockedProxy<IIdentityStore>.Wrap(store, clock),
            async () =>
            {
                await store.DisposeAsync();
                await dataSource.DisposeAsync();
                await using var cmd = shared.CreateCommand($"DROP SCHEMA \"{schema}\" CASCADE; DROP SCHEMA \"{clockSchema}\" CASCADE");
                await cmd.ExecuteNonQueryAsync();
            },
            ClockedProxy<IExecutorRegistry>.Wrap(store, clock),
            // Webhook operations take their times as arguments; the database clock plays no part in them.
            store,
            ClockedProxy<IRetentionStore>.Wrap(store, clock))
        {
            SchedulesOverride = store,
            SearchIndexOverride = store,
        };
    }

    /// <summary>Copies the fake clock into the database whenever it has moved since the last copy.</summary>
    private sealed class DatabaseClock(NpgsqlDataSource dataSource, string schema, FakeTimeProvider time)
    {
        private readonly Lock _gate = new();
        private DateTimeOffset _written = DateTimeOffset.MinValue;

        public void Sync()
        {
            lock (_gate)
            {
                var now = time.GetUtcNow();
                if (now == _written) return;
                // Synchronous on purpose: it must land before the store call it precedes starts its transaction.
                using var cmd = dataSource.CreateCommand($"UPDATE \"{schema}\".clock SET at = $1");
                cmd.Parameters.Add(new NpgsqlParameter { Value = now.UtcDateTime });
                cmd.ExecuteNonQuery();
                _written = now;
            }
        }
    }

    /// <summary>Forwards every call to the store after syncing the database clock.</summary>
    public class ClockedProxy<T> : DispatchProxy where T : class
    {
        private object _target = null!;
        private object _clock = null!;

        internal static T Wrap(object target, object clock)
        {
            var proxy = Create<T, ClockedProxy<T>>();
            var self = (ClockedProxy<T>)(object)proxy;
            self._target = target;
            self._clock = clock;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ((DatabaseClock)_clock).Sync();
            try
            {
                return targetMethod!.Invoke(_target, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }
    }
}
