/** Pure: points the admin kubeconfig K3s writes (server https://127.0.0.1:6443) at the site's API URL. */
export function externalKubeconfig(raw: string, apiUrl: string): string {
    if (!raw) return raw; // unknown during the first preview
    return raw.replace(/server:\s*https:\/\/(127\.0\.0\.1|localhost|\[::1\]):6443/g, `server: ${apiUrl}`);
}
