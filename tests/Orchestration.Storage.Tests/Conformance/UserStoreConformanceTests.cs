using Orchestration.Domain;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class UserStoreConformanceTests(Backend backend) : ConformanceTest(backend)
{
    // A wrapped store's webhook store is the unwrapped one, which keeps the users too (as for definitions).
    private IUserStore Users => Store as IUserStore ?? (IUserStore)Webhooks;

    private OrgUser User(string id, string username, string org = Org, params string[] permissions) => new()
    {
        Id = id, OrgId = org, Username = username, Name = username.ToUpperInvariant(), Email = username + "@example.com", Permissions = permissions,
        CreatedAt = Time.GetUtcNow(), UpdatedAt = Time.GetUtcNow(),
    };

    private ApiKeyRecord Key(string id, string org = Org) => new()
    {
        Id = id, OrgId = org, Name = "token " + id, SecretHash = "hash-" + id, Permissions = ["JobRequest:View"], CreatedAt = Time.GetUtcNow(),
    };

    [Test]
    public async Task CreateUser_DuplicateIdOrUsernameInOrg_RefusedButSameUsernameInOtherOrgStored()
    {
        var ct = CancellationToken.None;
        Assert.That(await Users.CreateUserAsync(User("u1", "alice", Org, "JobRequest:*"), ct), Is.True);
        Assert.That(await Users.CreateUserAsync(User("u1", "bob"), ct), Is.False, "the id exists");
        Assert.That(await Users.CreateUserAsync(User("u2", "alice"), ct), Is.False, "the username is taken in the org");
        Assert.That(await Users.CreateUserAsync(User("u3", "alice", OtherOrg), ct), Is.True, "usernames are unique per org only");

        var read = await Users.GetUserAsync(Org, "u1", ct);
        Assert.That(read!.Username, Is.EqualTo("alice"));
        Assert.That(read.Email, Is.EqualTo("alice@example.com"));
        Assert.That(read.Permissions, Is.EqualTo(new[] { "JobRequest:*" }));
        Assert.That(read.CreatedAt, Is.EqualTo(Time.GetUtcNow()));
        Assert.That(await Users.GetUserAsync(OtherOrg, "u1", ct), Is.Null, "another org's user is not found");
    }

    [Test]
    public async Task ListUsers_FiltersAndPage_OrgsUsersByUsernameWithTotal()
    {
        var ct = CancellationToken.None;
        await Users.CreateUserAsync(User("u1", "carol"), ct);
        await Users.CreateUserAsync(User("u2", "alice"), ct);
        await Users.CreateUserAsync(User("u3", "bob"), ct);
        await Users.CreateUserAsync(User("u4", "dave", OtherOrg), ct);

        var all = await Users.ListUsersAsync(new UserQuery { OrgId = Org }, ct);
        var page = await Users.ListUsersAsync(new UserQuery { OrgId = Org, Limit = 1, Offset = 1 }, ct);
        var byName = await Users.ListUsersAsync(new UserQuery { OrgId = Org, Username = "bob" }, ct);
        var byEmail = await Users.ListUsersAsync(new UserQuery { OrgId = Org, Email = "carol@example.com" }, ct);

        Assert.That(all.Items.Select(u => u.Username), Is.EqualTo(new[] { "alice", "bob", "carol" }));
        Assert.That(all.Total, Is.EqualTo(3));
        Assert.That((page.Items.Single().Username, page.Total), Is.EqualTo(("bob", 3)));
        Assert.That(byName.Items.Select(u => u.Id), Is.EqualTo(new[] { "u3" }));
        Assert.That(byEmail.Items.Select(u => u.Id), Is.EqualTo(new[] { "u1" }));
    }

    [Test]
    public async Task UpdateUserProfile_SomeFields_ChangesOnlyThoseAndNotAnotherOrgs()
    {
        var ct = CancellationToken.None;
        await Users.CreateUserAsync(User("u1", "alice", Org, "JobRequest:View"), ct);
        Time.Advance(TimeSpan.FromMinutes(1));

        var updated = await Users.UpdateUserProfileAsync(new UpdateUserProfileParams
        {
            OrgId = Org, UserId = "u1", Name = "Alice A.", Permissions = ["JobRequest:*", "User:View"], Locked = true, UpdatedAt = Time.GetUtcNow(),
        }, ct);
        var foreign = await Users.UpdateUserProfileAsync(new UpdateUserProfileParams { OrgId = OtherOrg, UserId = "u1", Name = "x", UpdatedAt = Time.GetUtcNow() }, ct);

        Assert.That(foreign, Is.Null);
        Assert.That(updated!.Name, Is.EqualTo("Alice A."));
        Assert.That(updated.Email, Is.EqualTo("alice@example.com"), "a field not given stays");
        Assert.That(updated.Permissions, Is.EqualTo(new[] { "JobRequest:*", "User:View" }));
        Assert.That(updated.Locked, Is.True);
        Assert.That(updated.UpdatedAt, Is.EqualTo(Time.GetUtcNow()));
        Assert.That((await Users.GetUserAsync(Org, "u1", ct))!.Name, Is.EqualTo("Alice A."));
    }

    [Test]
    public async Task CreateUserToken_UserOfTheKeysOrg_StoresKeyLinkedToUser()
    {
        var ct = CancellationToken.None;
        await Users.CreateUserAsync(User("u1", "alice"), ct);
        await Users.CreateUserAsync(User("u2", "bob"), ct);

        Assert.That(await Users.CreateUserTokenAsync("u1", Key("t1"), ct), Is.True);
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(await Users.CreateUserTokenAsync("u1", Key("t2"), ct), Is.True);
        Assert.That(await Users.CreateUserTokenAsync("u2", Key("t3"), ct), Is.True);

        Assert.That((await Users.ListUserTokensAsync(Org, "u1", ct)).Select(k => k.Id), Is.EqualTo(new[] { "t1", "t2" }));
        Assert.That((await Identity.FindApiKeyAsync("t1", ct))!.SecretHash, Is.EqualTo("hash-t1"), "a token is an API key");
        Assert.That((await Users.FindTokenOwnerAsync("t3", ct))!.Id, Is.EqualTo("u2"));
        Assert.That(await Users.ListUserTokensAsync(OtherOrg, "u1", ct), Is.Empty);
    }

    [Test]
    public async Task CreateUserToken_UnknownOrOtherOrgsUserOrTakenKeyId_StoresNothing()
    {
        var ct = CancellationToken.None;
        await Users.CreateUserAsync(User("u1", "alice"), ct);
        await Users.CreateUserAsync(User("u9", "eve", OtherOrg), ct);
        await Identity.CreateApiKeyAsync(Key("plain"), ct);

        Assert.That(await Users.CreateUserTokenAsync("nobody", Key("t1"), ct), Is.False);
        Assert.That(await Users.CreateUserTokenAsync("u9", Key("t2"), ct), Is.False, "the key's org has no such user");
        Assert.That(await Users.CreateUserTokenAsync("u1", Key("plain"), ct), Is.False, "the key id exists");

        Assert.That(await Identity.FindApiKeyAsync("t1", ct), Is.Null);
        Assert.That(await Identity.FindApiKeyAsync("t2", ct), Is.Null);
        Assert.That(await Users.ListUserTokensAsync(Org, "u1", ct), Is.Empty);
        Assert.That(await Users.FindTokenOwnerAsync("plain", ct), Is.Null, "a plain API key has no owner");
    }

    [Test]
    public async Task RevokeUserToken_OwnTokenOnce_RevokesKeyOnlyForItsUserAndOrg()
    {
        var ct = CancellationToken.None;
        await Users.CreateUserAsync(User("u1", "alice"), ct);
        await Users.CreateUserAsync(User("u2", "bob"), ct);
        await Users.CreateUserTokenAsync("u1", Key("t1"), ct);
        await Identity.CreateApiKeyAsync(Key("plain"), ct);
        Time.Advance(TimeSpan.FromMinutes(5));

        Assert.That(await Users.RevokeUserTokenAsync(Org, "u2", "t1", ct), Is.False, "another user's token");
        Assert.That(await Users.RevokeUserTokenAsync(OtherOrg, "u1", "t1", ct), Is.False, "another org");
        Assert.That(await Users.RevokeUserTokenAsync(Org, "u1", "plain", ct), Is.False, "a key that is no user's token");
        Assert.That(await Users.RevokeUserTokenAsync(Org, "u1", "t1", ct), Is.True);
        Assert.That(await Users.RevokeUserTokenAsync(Org, "u1", "t1", ct), Is.False, "already revoked");

        var revokedAt = (await Identity.FindApiKeyAsync("t1", ct))!.RevokedAt;
        // A store on the database clock stamps its own time.
        if (Store.Capabilities.DatabaseClock) Assert.That(revokedAt, Is.Not.Null);
        else Assert.That(revokedAt, Is.EqualTo(Time.GetUtcNow()));
        Assert.That((await Identity.FindApiKeyAsync("plain", ct))!.RevokedAt, Is.Null);
        Assert.That(await Users.ListUserTokensAsync(Org, "u1", ct), Is.Empty);
    }

    [Test]
    public async Task UpdateUserProfile_Locked_RevokesEveryTokenOfThatUserOnly()
    {
        var ct = CancellationToken.None;
        await Users.CreateUserAsync(User("u1", "alice"), ct);
        await Users.CreateUserAsync(User("u2", "bob"), ct);
        await Users.CreateUserTokenAsync("u1", Key("t1"), ct);
        await Users.CreateUserTokenAsync("u1", Key("t2"), ct);
        await Users.CreateUserTokenAsync("u2", Key("t3"), ct);

        var locked = await Users.UpdateUserProfileAsync(new UpdateUserProfileParams { OrgId = Org, UserId = "u1", Locked = true, UpdatedAt = Time.GetUtcNow() }, ct);

        Assert.That(locked!.Locked, Is.True);
        Assert.That((await Identity.FindApiKeyAsync("t1", ct))!.RevokedAt, Is.Not.Null);
        Assert.That((await Identity.FindApiKeyAsync("t2", ct))!.RevokedAt, Is.Not.Null);
        Assert.That((await Identity.FindApiKeyAsync("t3", ct))!.RevokedAt, Is.Null, "another user's token stays");
        Assert.That(await Users.ListUserTokensAsync(Org, "u1", ct), Is.Empty);
    }
}
