using Microsoft.Playwright;

using Orchestration.Dashboard.Tests.Infrastructure;

namespace Orchestration.Dashboard.Tests;

/// <summary>One host and one headless chromium for the whole assembly; each test gets a fresh browser context (no cookies).</summary>
[SetUpFixture]
public sealed class BrowserFixture
{
    private static IPlaywright? _playwright;
    private static IBrowser? _browser;
    private static DashboardHost? _host;

    internal static DashboardHost Host => _host ?? throw new InvalidOperationException("The dashboard host is not started.");

    internal static IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var chromium = Chromium.Find();
        _host = await DashboardHost.StartAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Args = Chromium.LaunchArgs });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
    }
}

/// <summary>A test with its own browser context and page, and a helper to sign in through the form.</summary>
public abstract class BrowserTest
{
    private IBrowserContext? _context;

    internal static DashboardHost Host => BrowserFixture.Host;

    protected IPage Page { get; private set; } = null!;

    protected IBrowserContext Context => _context!;

    [SetUp]
    public async Task OpenPageAsync()
    {
        _context = await BrowserFixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Host.Address.ToString() });
        // Generous: a wait returns as soon as its condition holds, and a shared 2-core machine can be very slow at times.
        _context.SetDefaultTimeout(30_000);
        Assertions.SetDefaultExpectTimeout(20_000);
        Page = await _context.NewPageAsync();
        // Confirmation dialogs are accepted, as a user who clicked the button would.
        Page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
    }

    [TearDown]
    public async Task ClosePageAsync()
    {
        if (_context is not null) await _context.DisposeAsync();
    }

    protected async Task SignInAsync(string key = DashboardHost.BootstrapKey)
    {
        await Page.GotoAsync("/dashboard/sign-in");
        await Page.FillAsync("#key", key);
        await Page.ClickAsync("button[type=submit]");
        // The overview is the landing page; committing to it is the proof of sign-in, its charts need not finish loading.
        await Page.WaitForURLAsync("**/dashboard/", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
    }
}
