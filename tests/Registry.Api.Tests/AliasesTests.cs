using System.Diagnostics;
using System.Net;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Models;
using MlOps.Registry.Client.Problems;

namespace MlOps.Registry.Api.Tests;

public sealed class AliasesTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private readonly RegistryClient trainer = registry.CreateRegistryClient(RegistryRole.Trainer);
    private readonly RegistryClient admin = registry.CreateRegistryClient(RegistryRole.Admin);

    [Fact]
    public async Task Promote_and_roll_back_with_append_only_history()
    {
        await ModelArtifacts.RegisterAsync(trainer, "aliased", seed: 10);
        await ModelArtifacts.RegisterAsync(trainer, "aliased", seed: 11);

        var first = await admin.SetAliasAsync("aliased", WellKnownAliases.Production, 1, "initial");
        Assert.Equal(1, first.Version);
        Assert.StartsWith("admin:", first.UpdatedBy);
        await admin.SetAliasAsync("aliased", WellKnownAliases.Production, 2, "better auc");
        await admin.SetAliasAsync("aliased", WellKnownAliases.Production, 2, "repeat is a no-op");
        await admin.SetAliasAsync("aliased", WellKnownAliases.Production, 1, "roll back");

        Assert.Equal(1, (await trainer.GetAliasAsync("aliased", WellKnownAliases.Production))!.Version);
        var history = await trainer.GetAliasHistoryAsync("aliased", WellKnownAliases.Production);
        Assert.Equal([(1, (int?)null), (2, 1), (1, 2)], history.Select(h => (h.Version, h.PreviousVersion)));
        Assert.Equal(["initial", "better auc", "roll back"], history.Select(h => h.Reason));
        Assert.Equal(1, (await trainer.GetModelAsync("aliased"))!.Aliases[WellKnownAliases.Production]);
    }

    [Fact]
    public async Task History_rows_cannot_be_rewritten_even_in_sql()
    {
        await ModelArtifacts.RegisterAsync(trainer, "audited", seed: 17);
        await admin.SetAliasAsync("audited", "production", 1, "first");
        await using var conn = new Npgsql.NpgsqlConnection(registry.ConnectionString);
        await conn.OpenAsync();
        foreach (var sql in new[] { "UPDATE alias_history SET actor = 'someone-else'", "DELETE FROM alias_history" })
        {
            await using var cmd = new Npgsql.NpgsqlCommand(sql, conn);
            var e = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.Contains("append-only", e.MessageText);
        }
        Assert.Equal("first", Assert.Single(await trainer.GetAliasHistoryAsync("audited", "production")).Reason);
    }

    [Fact]
    public async Task Only_admins_move_aliases_and_targets_must_exist()
    {
        await ModelArtifacts.RegisterAsync(trainer, "guarded", seed: 12);
        var forbidden = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.SetAliasAsync("guarded", "staging", 1));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(403, forbidden.Problem!.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<RegistryApiException>(() => admin.SetAliasAsync("guarded", "staging", 5))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<RegistryApiException>(() => admin.SetAliasAsync("nope-model", "staging", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Assert.ThrowsAsync<RegistryApiException>(() => admin.SetAliasAsync("guarded", "...", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Assert.ThrowsAsync<RegistryApiException>(() => admin.SetAliasAsync("guarded", "prоduction", 1))).StatusCode);
        Assert.Null(await trainer.GetAliasAsync("guarded", "staging"));
    }

    [Fact]
    public async Task Long_poll_answers_when_the_alias_moves_and_times_out_otherwise()
    {
        await ModelArtifacts.RegisterAsync(trainer, "polled", seed: 13);
        await ModelArtifacts.RegisterAsync(trainer, "polled", seed: 14);
        await admin.SetAliasAsync("polled", "production", 1);

        var clock = Stopwatch.StartNew();
        var unchanged = await trainer.WaitForAliasAsync("polled", "production", knownVersion: 1, TimeSpan.FromSeconds(1));
        Assert.Equal(1, unchanged!.Version);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), "the poll waited");

        var waiting = trainer.WaitForAliasAsync("polled", "production", knownVersion: 1, TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        await admin.SetAliasAsync("polled", "production", 2);
        var moved = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, moved!.Version);

        // An alias that does not exist yet: wait for it to appear, or 404 -> null after the wait.
        Assert.Null(await trainer.WaitForAliasAsync("polled", "canary", null, TimeSpan.FromSeconds(1)));
        var appearing = trainer.WaitForAliasAsync("polled", "canary", null, TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        await admin.SetAliasAsync("polled", "canary", 1);
        Assert.Equal(1, (await appearing.WaitAsync(TimeSpan.FromSeconds(10)))!.Version);
    }

    [Fact]
    public async Task Long_poll_sees_a_move_made_on_another_replica()
    {
        await using var replica = new RegistryApiFactory(registry);
        var replicaAdmin = replica.CreateRegistryClient(RegistryRole.Admin);
        await ModelArtifacts.RegisterAsync(trainer, "replicated", seed: 15);
        await ModelArtifacts.RegisterAsync(trainer, "replicated", seed: 16);
        await admin.SetAliasAsync("replicated", "production", 1);

        var waiting = trainer.WaitForAliasAsync("replicated", "production", knownVersion: 1, TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        await replicaAdmin.SetAliasAsync("replicated", "production", 2);
        Assert.Equal(2, (await waiting.WaitAsync(TimeSpan.FromSeconds(10)))!.Version);
    }

    [Fact]
    public async Task Other_replicas_are_woken_by_postgres_notify_not_by_polling()
    {
        // This replica re-reads the database only every 10 minutes: only LISTEN/NOTIFY can wake it within the test.
        await using var replica = new RegistryApiFactory(registry).WithSetting("LongPoll:FallbackIntervalMs", "600000");
        var replicaReader = replica.CreateRegistryClient(RegistryRole.Reader);
        await ModelArtifacts.RegisterAsync(trainer, "notified", seed: 18);
        await ModelArtifacts.RegisterAsync(trainer, "notified", seed: 19);
        await admin.SetAliasAsync("notified", "production", 1);
        Assert.Equal(1, (await replicaReader.GetAliasAsync("notified", "production"))!.Version);

        var waiting = replicaReader.WaitForAliasAsync("notified", "production", knownVersion: 1, TimeSpan.FromSeconds(60));
        await Task.Delay(500);
        Assert.False(waiting.IsCompleted);
        await admin.SetAliasAsync("notified", "production", 2);
        Assert.Equal(2, (await waiting.WaitAsync(TimeSpan.FromSeconds(20)))!.Version);
    }
}
