using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Storage;

namespace Orchestration.Http.Tests.Formicary;

/// <summary><c>/api/users</c> and <c>/api/users/{userId}/tokens</c>: profiles, the org boundary, tokens as API keys, no escalation.</summary>
public sealed class FormicaryUsersTests(ApiBackend backend) : FormicaryUsersFixture(backend)
{
    [Test]
    public async Task CreateUser_ThenGetListAndUpdate_FormicaryFieldsRoundTrip()
    {
        var (orgId, client) = await NewTenantAsync("*");

        var created = await CreateUserAsync(client, "alice@example.com", "JobRequest:*", "User:View");
        var (getStatus, read, _) = await client.GetJsonAsync($"/api/users/{created.Str("id")}");
        var (putStatus, updated, _) = await client.SendAsync(HttpMethod.Put, $"/api/users/{created.Str("id")}", new { name = "Alice A.", url = "https://example.com/alice" });
        await CreateUserAsync(client, "bob");
        var (listStatus, list, _) = await client.GetJsonAsync("/api/users?page=0&page_size=1");
        var (_, byName, _) = await client.GetJsonAsync("/api/users?username=bob");

        Assert.That(created.Str("organization_id"), Is.EqualTo(orgId));
        Assert.That(created.Str("email"), Is.EqualTo("alice@example.com"), "a username that is an email is the email too, as in Formicary");
        Assert.That(created.Str("perms"), Is.EqualTo("JobRequest:* User:View"));
        Assert.That(created["admin"]!.GetValue<bool>(), Is.False);
        Assert.That((getStatus, read.Str("username")), Is.EqualTo((HttpStatusCode.OK, "alice@example.com")));
        Assert.That(putStatus, Is.EqualTo(HttpStatusCode.OK), updated?.ToJsonString());
        Assert.That((updated.Str("name"), updated.Str("url"), updated.Str("email")), Is.EqualTo(("Alice A.", "https://example.com/alice", "alice@example.com")));
        Assert.That(listStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(list!["total_records"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That((list["page"]!.GetValue<int>(), list["page_size"]!.GetValue<int>(), list["total_pages"]!.GetValue<int>()), Is.EqualTo((0, 1, 2)));
        Assert.That(list["records"]!.AsArray().Single()!.Str("username"), Is.EqualTo("alice@example.com"), "ordered by username");
        Assert.That(byName!["records"]!.AsArray().Select(u => u.Str("username")), Is.EqualTo(new[] { "bob" }));
    }

    [Test]
    public async Task CreateUser_TakenUsernameOrNone_409And400()
    {
        var (_, client) = await NewTenantAsync("*");
        await CreateUserAsync(client, "carol");

        var (taken, takenBody, _) = await client.PostJsonAsync("/api/users", new { username = "carol" });
        var (missing, missingBody, _) = await client.PostJsonAsync("/api/users", new { name = "no username" });
        var (badEmail, badEmailBody, _) = await client.PostJsonAsync("/api/users", new { username = "dave", email = "not-an-email" });

        Assert.That((taken, takenBody.Str("error")), Is.EqualTo((HttpStatusCode.Conflict, "Username 'carol' is taken in this org")));
        Assert.That(missing, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(missingBody.Str("error"), Does.Contain("username"));
        Assert.That(badEmail, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(badEmailBody.Str("error"), Does.Contain("email"));
    }

    [Test]
    public async Task GetUser_AnotherOrgsUser_404EverywhereAndNotListed()
    {
        var (_, mine) = await NewTenantAsync("*", "keys:manage");
        var (_, theirs) = await NewTenantAsync("*", "keys:manage");
        var user = await CreateUserAsync(theirs, "erin");
        var id = user.Str("id");

        var (get, getBody, _) = await mine.GetJsonAsync($"/api/users/{id}");
        var (put, _, _) = await mine.SendAsync(HttpMethod.Put, $"/api/users/{id}", new { name = "x" });
        var (tokens, _, _) = await mine.GetJsonAsync($"/api/users/{id}/tokens");
        var (mint, _) = await PostTokenFormAsync(mine, id, ("token", "stolen"));
        var (_, list, _) = await mine.GetJsonAsync("/api/users");

        Assert.That((get, getBody.Str("error")), Is.EqualTo((HttpStatusCode.NotFound, "User not found")));
        Assert.That((put, tokens, mint), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(list!["total_records"]!.GetValue<int>(), Is.EqualTo(0));
    }

    [Test]
    public async Task CreateOrUpdateUser_PermissionTheCallerLacks_403()
    {
        var (orgId, _) = await NewTenantAsync("*");
        var userAdmin = await KeyAsync(orgId, ["User:*"]);
        var user = await CreateUserAsync(userAdmin, "frank", "User:View");

        var (create, createBody, _) = await userAdmin.PostJsonAsync("/api/users", new { username = "grace", permissions = new[] { "JobRequest:Submit" } });
        var (update, _, _) = await userAdmin.SendAsync(HttpMethod.Put, $"/api/users/{user.Str("id")}", new { perms = "User:View JobDefinition:Create" });
        var (unknown, unknownBody, _) = await userAdmin.PostJsonAsync("/api/users", new { username = "heidi", permissions = new[] { "Nope:Nope" } });

        Assert.That((create, createBody.Str("error")), Is.EqualTo((HttpStatusCode.Forbidden, "Cannot give permission 'JobRequest:Submit': the caller does not hold it")));
        Assert.That(update, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(unknown, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(unknownBody.Str("error"), Does.Contain("unknown permission 'Nope:Nope'"));
    }

    [Test]
    public async Task CreateToken_FormFieldToken_SecretShownOnceWorksAsBearerAndIsNeverStoredOrListed()
    {
        var (_, client) = await NewTenantAsync("*", "keys:manage");
        var user = await CreateUserAsync(client, "ivan", "JobRequest:Query", "JobRequest:View");

        var (token, tokenClient) = await CreateTokenAsync(client, user.Str("id"), ("token", "ci token"));
        var secret = token.Str("api_token");
        var (queryStatus, _, _) = await tokenClient.GetJsonAsync("/api/jobs/requests");
        var (submitStatus, _, _) = await tokenClient.PostJsonAsync("/api/jobs/requests", new { job_type = "x" });
        var listResponse = await client.GetAsync($"/api/users/{user.Str("id")}/tokens");
        var listText = await listResponse.Content.ReadAsStringAsync();
        var stored = await Factory.Services.GetRequiredService<IIdentityStore>().FindApiKeyAsync(token.Str("id"), CancellationToken.None);

        Assert.That(secret, Does.StartWith("orch_" + token.Str("id") + "_"));
        Assert.That((token.Str("token_name"), token.Str("user_id")), Is.EqualTo(("ci token", user.Str("id"))));
        Assert.That(token["permissions"]!.AsArray().Select(p => p!.GetValue<string>()), Is.EquivalentTo(new[] { "JobRequest:Query", "JobRequest:View" }),
            "by default every permission both the caller and the user hold");
        Assert.That(queryStatus, Is.EqualTo(HttpStatusCode.OK), "the token authenticates as its user's permissions");
        Assert.That(submitStatus, Is.EqualTo(HttpStatusCode.Forbidden), "the user does not hold JobRequest:Submit");
        Assert.That(listResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(listText, Does.Contain(token.Str("id")));
        Assert.That(listText, Does.Not.Contain("api_token"));
        Assert.That(listText, Does.Not.Contain(secret[("orch_" + token.Str("id") + "_").Length..]), "the list shows metadata only");
        Assert.That(stored!.SecretHash, Does.Not.Contain(secret[("orch_" + token.Str("id") + "_").Length..]), "only a hash is stored");
    }

    [Test]
    public async Task CreateToken_PermissionTheUserOrTheCallerLacks_403()
    {
        var (orgId, client) = await NewTenantAsync("JobRequest:Query", "User:*", "keys:manage");
        var admin = await KeyAsync(orgId, ["*", "keys:manage"]);
        var user = await CreateUserAsync(admin, "judy", "JobRequest:Query", "JobDefinition:Query");

        var (userLacks, userLacksBody) = await PostTokenFormAsync(client, user.Str("id"), ("token", "t"), ("permissions", "JobRequest:Submit"));
        var (callerLacks, callerLacksBody) = await PostTokenFormAsync(client, user.Str("id"), ("token", "t"), ("permissions", "JobDefinition:Query"));
        var (both, bothBody) = await PostTokenFormAsync(client, user.Str("id"), ("token", "t"));

        Assert.That((userLacks, userLacksBody.Str("error")), Is.EqualTo((HttpStatusCode.Forbidden, "Cannot grant permission 'JobRequest:Submit': the caller does not hold it")));
        Assert.That((callerLacks, callerLacksBody.Str("error")), Is.EqualTo((HttpStatusCode.Forbidden, "Cannot grant permission 'JobDefinition:Query': the caller does not hold it")));
        Assert.That(both, Is.EqualTo(HttpStatusCode.OK), bothBody?.ToJsonString());
        Assert.That(bothBody!["permissions"]!.AsArray().Select(p => p!.GetValue<string>()), Is.EqualTo(new[] { "JobRequest:Query" }), "only what both hold");

        var (adminAsks, adminAsksBody) = await PostTokenFormAsync(admin, user.Str("id"), ("token", "t"), ("permissions", "JobRequest:Submit"));
        Assert.That((adminAsks, adminAsksBody.Str("error")), Is.EqualTo((HttpStatusCode.Forbidden, "Cannot grant permission 'JobRequest:Submit': the user does not hold it")));
    }

    [Test]
    public async Task CreateToken_ForAnotherUserWithoutKeysManage_403()
    {
        var (orgId, admin) = await NewTenantAsync("*", "keys:manage");
        var user = await CreateUserAsync(admin, "mallory", "JobRequest:Query");
        var wildcard = await KeyAsync(orgId, ["*"]);

        var (status, body) = await PostTokenFormAsync(wildcard, user.Str("id"), ("token", "t"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(body.Str("error"), Does.Contain("keys:manage"), "a wildcard never mints keys, not even through a user");
    }

    [Test]
    public async Task RevokeToken_FormicaryPostRouteAndDelete_TokensRefusedAfterwardsAndSecondRevoke404()
    {
        var (_, client) = await NewTenantAsync("*", "keys:manage");
        var user = await CreateUserAsync(client, "niaj", "JobRequest:Query");
        var (first, firstClient) = await CreateTokenAsync(client, user.Str("id"));
        var (second, secondClient) = await CreateTokenAsync(client, user.Str("id"));
        var userId = user.Str("id");

        var (postRevoke, _, _) = await client.PostJsonAsync($"/api/users/{userId}/tokens/{first.Str("id")}/delete", new { });
        var (deleteRevoke, _, _) = await client.DeleteJsonAsync($"/api/users/{userId}/tokens/{second.Str("id")}");
        var (again, againBody, _) = await client.DeleteJsonAsync($"/api/users/{userId}/tokens/{second.Str("id")}");
        var (firstUse, firstBody, _) = await firstClient.GetJsonAsync("/api/jobs/requests");
        var (secondUse, _, _) = await secondClient.GetJsonAsync("/api/jobs/requests");
        var (_, list, _) = await client.GetJsonAsync($"/api/users/{userId}/tokens");

        Assert.That((postRevoke, deleteRevoke), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
        Assert.That((again, againBody.Str("error")), Is.EqualTo((HttpStatusCode.NotFound, "Token not found")));
        Assert.That((firstUse, secondUse), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized)));
        Assert.That(firstBody.Str("error"), Is.EqualTo("Invalid Bearer token"));
        Assert.That(list!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Tokens_UsersOwnTokenWithoutUserPermissions_ManagesOwnTokensOnly()
    {
        var (_, admin) = await NewTenantAsync("*", "keys:manage");
        var user = await CreateUserAsync(admin, "olivia", "JobRequest:Query");
        var other = await CreateUserAsync(admin, "peggy", "JobRequest:Query");
        var (own, ownClient) = await CreateTokenAsync(admin, user.Str("id"));

        var (list, listBody, _) = await ownClient.GetJsonAsync($"/api/users/{user.Str("id")}/tokens");
        var (mint, minted) = await PostTokenFormAsync(ownClient, user.Str("id"), ("token", "laptop"));
        var (otherList, _, _) = await ownClient.GetJsonAsync($"/api/users/{other.Str("id")}/tokens");
        var (otherMint, _) = await PostTokenFormAsync(ownClient, other.Str("id"), ("token", "x"));
        var (users, _, _) = await ownClient.GetJsonAsync("/api/users");

        Assert.That(list, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(listBody!.AsArray().Select(t => t.Str("id")), Is.EqualTo(new[] { own.Str("id") }));
        Assert.That(mint, Is.EqualTo(HttpStatusCode.OK), minted?.ToJsonString());
        Assert.That(minted!["permissions"]!.AsArray().Select(p => p!.GetValue<string>()), Is.EqualTo(new[] { "JobRequest:Query" }));
        Assert.That((otherList, otherMint, users), Is.EqualTo((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden)));
    }

    [Test]
    public async Task UpdateUser_Locked_TheUsersTokensAreRefused()
    {
        var (_, admin) = await NewTenantAsync("*", "keys:manage");
        var user = await CreateUserAsync(admin, "quentin", "JobRequest:Query");
        var (_, tokenClient) = await CreateTokenAsync(admin, user.Str("id"));
        var (before, _, _) = await tokenClient.GetJsonAsync("/api/jobs/requests");

        var (locked, lockedBody, _) = await admin.SendAsync(HttpMethod.Put, $"/api/users/{user.Str("id")}", new { locked = true });
        var (after, _, _) = await tokenClient.GetJsonAsync("/api/jobs/requests");

        Assert.That(before, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((locked, lockedBody!["locked"]!.GetValue<bool>()), Is.EqualTo((HttpStatusCode.OK, true)));
        Assert.That(after, Is.EqualTo(HttpStatusCode.Unauthorized), "locking revokes the user's tokens");
    }
}
