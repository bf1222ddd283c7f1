<#-- auth-dane, browser: the device's DANE identity was verified; the person confirms it is them. -->
<#import "template.ftl" as layout>
<@layout.registrationLayout; section>
    <#if section = "header">
        ${msg("daneConfirmTitle", daneClientId)}
    <#elseif section = "form">
        <form id="kc-dane-confirm-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <p id="dane-confirm-text">${msg("daneConfirmText", daneClientId, daneUsername)}</p>
            <div class="${properties.kcFormGroupClass!}">
                <input class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!} ${properties.kcButtonBlockClass!}"
                       name="login" id="kc-login" type="submit" value="${msg("daneContinue")}"/>
                <input class="${properties.kcButtonClass!} ${properties.kcButtonDefaultClass!} ${properties.kcButtonBlockClass!}"
                       name="cancel" id="kc-cancel" type="submit" value="${msg("daneCancel")}"/>
            </div>
        </form>
    </#if>
</@layout.registrationLayout>
